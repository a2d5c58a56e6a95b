using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <content><c>--retry-failed</c>: a new batch of the lines whose latest answer in the file's last run is a failure.</content>
internal sealed partial class RunSession
{
    /// <summary>
    /// Starts a retry of the failed lines of the file's last run: those whose latest answer (the original's, or a previous
    /// retry's) is a failure that may mend (<see cref="BatchResultLine.IsRetryable"/>), or every failure with
    /// <c>--all-failures</c>. A line that has succeeded is never sent again, so each <c>custom_id</c> keeps one answer.
    /// </summary>
    /// <returns>The run with the retry, and the retry; no retry when nothing is to be retried.</returns>
    /// <exception cref="CliUsageException">The file has no completed run to retry.</exception>
    private async Task<(FileRun Run, BatchJob? Active)> StartRetryAsync(BatchJobManager manager, FileRun? run, CancellationToken cancellationToken)
    {
        if (run is null)
        {
            throw new CliUsageException(
                $"{_settings.Input.Name} (as it is now) has no run in {Path.GetFullPath(_settings.StateDirectory)} to retry; run it without --retry-failed first.");
        }

        if (run.Original.Status != BatchStatus.Completed)
        {
            throw new CliUsageException(
                $"The last run of {_settings.Input.Name} ({run.Original.Id}) is {run.Original.Status.ToWireName()}, not completed; run the file without --retry-failed to run it afresh.");
        }

        var ledger = await RetryLedger.ReadAsync(manager, run, cancellationToken).ConfigureAwait(false);
        var failing = 0;
        bool Select(BatchResultLine line)
        {
            if (ledger.LatestFailure(line) is not { } latest)
            {
                return false;
            }

            failing++;
            return _settings.AllFailures || latest.IsRetryable;
        }

        BatchJob retry;
        try
        {
            retry = await manager.RetryFailedAsync(
                run.Original.Id,
                Select,
                new BatchCreateOptions { Metadata = FileRun.RetryMetadataFor(run.Original, run.Retries.Count + 1) },
                cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Nothing selected: the results are published as they stand.
            _console.Info(failing == 0
                ? "nothing to retry: no line of the last run failed"
                : $"nothing to retry: the {failing} failed lines were refused by the server for the requests themselves (4xx); --all-failures sends them again too");
            return (run, null);
        }

        _console.Info($"retrying {retry.RequestCounts.Total} failed lines of batch {run.Original.Id} (batch {retry.Id})");
        return (run with { Retries = [.. run.Retries, retry] }, retry);
    }
}
