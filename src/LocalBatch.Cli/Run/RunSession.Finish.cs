using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <content>The end of a run: the results at the output paths, the summary, the exit code.</content>
internal sealed partial class RunSession
{
    /// <summary>
    /// Publishes the results of the file's run as they stand in the store and reports. A run that stopped (Ctrl+C, a
    /// server gone, a refused key, a full disk) is reported with the resume hint and exit 1; so is an interruption while
    /// the results are being copied, which abandons the copy (the output paths stay as they were).
    /// </summary>
    private async Task<int> FinishAsync(FileRun run, Exception? stopped)
    {
        // A manager that only reads: the run's manager has stopped, and this one runs nothing.
        var reader = new BatchJobManager(_processor, new BatchJobManagerOptions { StoreDirectory = _settings.StateDirectory, ResumeOnStart = false });
        await using (reader.ConfigureAwait(false))
        {
            run = new FileRun(
                await reader.RetrieveAsync(run.Original.Id).ConfigureAwait(false),
                [.. await Task.WhenAll(run.Retries.Select(retry => reader.RetrieveAsync(retry.Id))).ConfigureAwait(false)]);

            var publishing = _context.Interruption.BeginPublishing();
            BatchRequestCounts counts;
            try
            {
                counts = await PublishAsync(reader, run, publishing).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (publishing.IsCancellationRequested)
            {
                _console.Error($"interrupted while copying the results to {_outputPath}; they are kept in {Path.GetFullPath(_settings.StateDirectory)}: run the same command again to copy them{(run.Latest.IsTerminal ? string.Empty : " and resume")}.");
                await WriteSummaryAsync(run, run.Original.RequestCounts, ExitCodes.Fatal).ConfigureAwait(false);
                return ExitCodes.Fatal;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A full disk, say, where the output paths are: the results stay in the store, whole.
                if (stopped is not null)
                {
                    _console.Error(DescribeStop(stopped));
                }

                _console.Error($"could not write the results at the output paths: {ex.Message}; they are kept in {Path.GetFullPath(_settings.StateDirectory)}: run the same command again to {(run.Latest.IsTerminal ? "write them" : "resume")}.");
                await WriteSummaryAsync(run, run.Original.RequestCounts, ExitCodes.Fatal).ConfigureAwait(false);
                return ExitCodes.Fatal;
            }

            if (stopped is not null)
            {
                _console.Error(DescribeStop(stopped));
                _console.Error($"{Count(counts.Completed + counts.Failed)} of {Count(counts.Total)} done (so far in {_outputPath}); run the same command again to resume.");
                await WriteSummaryAsync(run, counts, ExitCodes.Fatal).ConfigureAwait(false);
                return ExitCodes.Fatal;
            }

            var exitCode = counts.Failed == 0 && run.Latest.Status == BatchStatus.Completed ? ExitCodes.Success : ExitCodes.SomeFailed;
            var tokens = RunSummary.Sum([run.Original, .. run.Retries])?.TotalTokens ?? 0;
            var reused = run.Original.RequestCounts.Reused > 0 ? $" ({Count(run.Original.RequestCounts.Reused)} reused)" : string.Empty;
            var line = $"{run.Latest.Status.ToWireName()}: {Count(counts.Completed)} succeeded{reused}, {Count(counts.Failed)} failed of {Count(counts.Total)} in {Elapsed()}; {Count(tokens)} tokens. Output: {_outputPath}{(counts.Failed > 0 ? $". Errors: {_errorPath}" : string.Empty)}";
            IReadOnlyList<FailureCause> causes = counts.Failed > 0 ? FailureCauses.Count(_errorPath) : [];
            if (exitCode == ExitCodes.Success)
            {
                _console.Info(line);
            }
            else
            {
                _console.Error(line);
            }

            if (causes.Count > 0)
            {
                _console.Error(FailureCauses.Describe(causes));
            }

            await WriteSummaryAsync(run, counts, exitCode, causes).ConfigureAwait(false);
            return exitCode;
        }
    }

    /// <summary>
    /// Puts the results at the output paths, as files of the user's own (copies of the store's files, or with retries the
    /// combined lines), first saying which of them the user changed or removed since the tool last wrote them.
    /// </summary>
    /// <returns>The requests answered each way, as the output paths now hold them.</returns>
    private async Task<BatchRequestCounts> PublishAsync(BatchJobManager reader, FileRun run, CancellationToken cancellationToken)
    {
        var stamps = OutputStamps.Read(_settings.StateDirectory);
        foreach (var path in new[] { _outputPath, _errorPath })
        {
            switch (stamps.Check(path))
            {
                case OutputStamps.Change.Changed:
                    _console.Info($"{path} was changed since localbatch wrote it; writing it again from the store");
                    break;
                case OutputStamps.Change.Missing:
                    _console.Info($"{path} is missing; writing it again from the store");
                    break;
            }
        }

        try
        {
            var total = run.Original.RequestCounts.Total;
            if (run.Retries.Count == 0)
            {
                Publish(run.Original.Id, BatchFileKind.Output, _outputPath);
                Publish(run.Original.Id, BatchFileKind.Errors, _errorPath);
                return run.Original.IsTerminal
                    ? run.Original.RequestCounts
                    : new BatchRequestCounts(total, (int)ResultFilePublisher.CountLines(_outputPath), (int)ResultFilePublisher.CountLines(_errorPath));
            }

            var ledger = await RetryLedger.ReadAsync(reader, run, cancellationToken).ConfigureAwait(false);
            var completed = CombinedResults.PublishOutput(reader, run, _outputPath, _context.Publish, cancellationToken);
            stamps.Record(_outputPath);
            var failed = CombinedResults.PublishErrors(reader, run, ledger, _errorPath, _context.Publish, cancellationToken);
            stamps.Record(_errorPath);
            return new BatchRequestCounts(total, completed, failed);
        }
        finally
        {
            stamps.Save();
        }

        void Publish(string batchId, BatchFileKind kind, string destination)
        {
            var method = ResultFilePublisher.Publish(reader.GetFilePath(batchId, kind), destination, _context.Publish, cancellationToken);
            stamps.Record(destination);
            _console.Detail($"wrote {destination} from the store ({method switch
            {
                PublishMethod.Clone => "a clone",
                PublishMethod.KernelCopy => "copied by the kernel",
                PublishMethod.Copy => "copied",
                _ => "nothing to copy yet",
            }})");
        }
    }

    private string DescribeStop(Exception exception) => exception switch
    {
        OperationCanceledException => "interrupted",
        LocalGatewayException { StatusCode: 401 or 403 } refused =>
            $"stopped: the server {(GatewaySettings.ApiKey(_settings.ApiKey) is null ? "requires an API key and none was given" : "refused the API key")} ({refused.StatusCode} {refused.ErrorType}: {refused.ServerMessage}); "
            + "no more requests were sent. Give the right key with --api-key or LOCALBATCH_API_KEY.",
        _ => $"stopped: {exception.Message}",
    };
}
