using LocalBatch.Batches.Internal;

namespace LocalBatch.Batches;

// Waiting for batches and their progress.
public sealed partial class BatchJobManager
{
    /// <summary>Waits until a batch reaches an end state (completed, failed, expired or cancelled).</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Stops waiting (the batch goes on).</param>
    /// <returns>The final batch.</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="OperationCanceledException">Waiting was cancelled, or the manager stopped while the batch ran (it resumes next time).</exception>
    /// <exception cref="LocalGatewayException">
    /// The run stopped, and the batch is still in progress, because the server stayed unreachable past every retry
    /// (<see cref="LocalGatewayException.Kind"/> <see cref="GatewayErrorKind.Unreachable"/>) or refused the API key
    /// (<see cref="LocalGatewayException.StatusCode"/> 401 or 403, at the first request it refused: no more are sent).
    /// Resume it once the cause is gone.
    /// </exception>
    /// <exception cref="IOException">The run stopped on a file error (such as a full disk, or a damaged result file: <see cref="InvalidDataException"/>).</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public Task<BatchJob> WaitAsync(string batchId, CancellationToken cancellationToken = default) =>
        WaitAsync(batchId, progress: null, cancellationToken);

    /// <summary>
    /// Waits until a batch reaches an end state, reporting its progress every
    /// <see cref="BatchJobManagerOptions.ProgressInterval"/> and once more at the end.
    /// </summary>
    /// <remarks>
    /// A batch that no process runs any more (its process stopped, or its run stopped on an error) is resumed by this
    /// manager and waited for here; one that another process runs is looked at every
    /// <see cref="BatchJobManagerOptions.ProgressInterval"/>.
    /// </remarks>
    /// <param name="batchId">The batch id.</param>
    /// <param name="progress">
    /// Receives the progress: live counts, rate, tokens and ETA while this manager runs the batch; the counts of its
    /// saved state when another process runs it. Reports come one at a time, from the waiting call.
    /// </param>
    /// <param name="cancellationToken">Stops waiting (the batch goes on).</param>
    /// <returns>The final batch.</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="OperationCanceledException">Waiting was cancelled, or the manager stopped while the batch ran (it resumes next time).</exception>
    /// <exception cref="LocalGatewayException">
    /// The run stopped, and the batch is still in progress, because the server stayed unreachable past every retry
    /// (<see cref="LocalGatewayException.Kind"/> <see cref="GatewayErrorKind.Unreachable"/>) or refused the API key
    /// (<see cref="LocalGatewayException.StatusCode"/> 401 or 403, at the first request it refused: no more are sent).
    /// Resume it once the cause is gone.
    /// </exception>
    /// <exception cref="IOException">The run stopped on a file error (such as a full disk, or a damaged result file: <see cref="InvalidDataException"/>).</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public async Task<BatchJob> WaitAsync(string batchId, IProgress<BatchProgress>? progress, CancellationToken cancellationToken = default)
    {
        using var ticks = new PeriodicTimer(_options.ProgressInterval, _time);
        while (true)
        {
            var job = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
            BatchRunner? runner = null;
            if (!job.IsTerminal && !_runners.TryGet(batchId, out runner))
            {
                // Not running here: another process runs it (look again at the next tick), or nobody does any more
                // (its process stopped): then this manager resumes it rather than wait for ever.
                var (current, started) = await _runners.TryStartAsync(batchId, heldLock: null, quiet: true).ConfigureAwait(false);
                if (current is null && started is null)
                {
                    // Locked: by another process, or by a run here that has just ended and not yet let go of the batch;
                    // what was saved last tells an end at once, rather than at the next tick.
                    current = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
                }

                (job, runner) = (current ?? job, started);
            }

            if (runner is not null)
            {
                var final = await WaitForRunnerAsync(runner, ticks, progress, cancellationToken).ConfigureAwait(false);
                return final.IsTerminal ? final : throw ManagerStopped(batchId);
            }

            progress?.Report(ProgressOf(job));
            if (job.IsTerminal)
            {
                return job;
            }

            await ticks.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<BatchJob> WaitForRunnerAsync(BatchRunner runner, PeriodicTimer ticks, IProgress<BatchProgress>? progress, CancellationToken cancellationToken)
    {
        var completion = runner.Completion;
        if (progress is null)
        {
            return await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        while (!completion.IsCompleted)
        {
            progress.Report(runner.Progress());
            var tick = ticks.WaitForNextTickAsync(cancellationToken).AsTask();
            await Task.WhenAny(completion, tick).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var final = await completion.ConfigureAwait(false);
        progress.Report(runner.Progress());
        return final;
    }

    /// <summary>Gets the live progress of a batch running in this manager, or <see langword="null"/> when it is not running here.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns>Totals, counts, rate and ETA.</returns>
    public BatchProgress? GetProgress(string batchId) =>
        _runners.TryGet(batchId, out var runner) ? runner.Progress() : null;

    private static OperationCanceledException ManagerStopped(string batchId) =>
        new($"The manager stopped while batch '{batchId}' was running; it resumes when a manager opens the store again.");

    private static BatchProgress ProgressOf(BatchJob job) => new()
    {
        Total = job.RequestCounts.Total,
        Completed = job.RequestCounts.Completed + job.RequestCounts.Failed,
        Failed = job.RequestCounts.Failed,
        PromptTokens = job.Usage?.InputTokens ?? 0,
        CompletionTokens = job.Usage?.OutputTokens ?? 0,
    };
}
