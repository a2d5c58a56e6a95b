using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <summary>
/// The last word on each request that a file's retries answered: which batch of the run (1 for the first retry, …)
/// answered it last, and its failure when that answer was one. A request no retry answered has its original's word.
/// Holds one entry per request the retries answered, nothing for the rest of the file.
/// </summary>
internal sealed class RetryLedger
{
    private readonly Dictionary<string, (int Batch, BatchResultLine? Failure)> _latest = new(StringComparer.Ordinal);

    private RetryLedger()
    {
    }

    /// <summary>Reads what the retries of <paramref name="run"/> have answered so far.</summary>
    public static async Task<RetryLedger> ReadAsync(BatchJobManager manager, FileRun run, CancellationToken cancellationToken)
    {
        var ledger = new RetryLedger();
        for (var i = 0; i < run.Retries.Count; i++)
        {
            var batch = i + 1;
            await foreach (var line in manager.GetResultsAsync(run.Retries[i].Id, cancellationToken).ConfigureAwait(false))
            {
                ledger._latest[line.CustomId] = (batch, null);
            }

            await foreach (var line in manager.GetErrorsAsync(run.Retries[i].Id, cancellationToken).ConfigureAwait(false))
            {
                ledger._latest[line.CustomId] = (batch, line);
            }
        }

        return ledger;
    }

    /// <summary>
    /// The request's latest failure, given its line in the original's error file: that line when no retry answered it,
    /// a retry's error line, or <see langword="null"/> when a retry answered it successfully.
    /// </summary>
    public BatchResultLine? LatestFailure(BatchResultLine originalError) =>
        _latest.TryGetValue(originalError.CustomId, out var latest) ? latest.Failure : originalError;

    /// <summary>Whether the line that batch number <paramref name="batch"/> of the run (0: the original) wrote for a request is its latest word.</summary>
    public bool IsLatest(string customId, int batch) =>
        _latest.TryGetValue(customId, out var latest) ? latest.Batch == batch : batch == 0;
}
