using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// The batches one manager runs, one runner each, and the only place where runners start and stop: it owns their
/// lifetimes (a runner never calls back into it). A batch runs here only under its run lock, so that two processes
/// never run it at once; a run that ends leaves the registry before its lock is released, so that whoever takes the
/// lock next finds it free here too, and both happen before anyone sees the run's end.
/// </summary>
internal sealed class BatchRunnerRegistry(BatchStore store, LocalBatchProcessor processor, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, BatchRunner> _running = new(StringComparer.Ordinal);

    // One start at a time: a caller that comes while another holds a batch's run lock but has not added its runner yet
    // would take the batch for one run by another process, and look again only at its next tick. No wait handle is
    // ever made, so it needs no disposing (a start waiting on it when the registry is disposed still completes).
    private readonly SemaphoreSlim _starting = new(1, 1);
    private int _disposed;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public bool TryGet(string batchId, [NotNullWhen(true)] out BatchRunner? runner) => _running.TryGetValue(batchId, out runner);

    public bool Contains(string batchId) => _running.ContainsKey(batchId);

    /// <summary>Whether this registry runs the batch now (a finished runner is not running, even before it leaves).</summary>
    public bool IsRunning(string batchId) => _running.TryGetValue(batchId, out var runner) && !runner.Completion.IsCompleted;

    /// <summary>
    /// Runs a batch here, unless another process holds it (then no job and no runner); a batch this registry runs
    /// already gives its runner, even to a caller that came while that runner was starting. The state is read again once
    /// the batch is locked, since another process may have moved it on: an ended batch is left as it is (no runner),
    /// and one still <c>validating</c> (its creator stopped midway) ends failed.
    /// </summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="heldLock">The batch's run lock when the caller holds it already (a batch just created).</param>
    /// <param name="quiet">Whether a batch locked elsewhere goes unlogged (a waiter looks every tick).</param>
    /// <returns>The batch as it now stands and its runner here, if it has one.</returns>
    /// <exception cref="KeyNotFoundException">The batch has no state in the store.</exception>
    /// <exception cref="ObjectDisposedException">The registry was disposed while the runner started (it is stopped again).</exception>
    public async Task<(BatchJob? Job, BatchRunner? Runner)> TryStartAsync(string batchId, FileStream? heldLock, bool quiet)
    {
        await _starting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsDisposed && heldLock is null)
            {
                throw new ObjectDisposedException(nameof(BatchJobManager)); // before the lock: no runner starts to be stopped again
            }

            return heldLock is null && _running.TryGetValue(batchId, out var running)
                ? (running.Current, running)
                : await StartAsync(batchId, heldLock, quiet).ConfigureAwait(false);
        }
        finally
        {
            _starting.Release();
        }
    }

    private async Task<(BatchJob? Job, BatchRunner? Runner)> StartAsync(string batchId, FileStream? heldLock, bool quiet)
    {
        var runLock = heldLock ?? store.TryLock(batchId);
        if (runLock is null)
        {
            if (!quiet)
            {
                Log.BatchLockedElsewhere(logger, batchId);
            }

            return (null, null);
        }

        BatchJob job;
        try
        {
            job = await store.ReadStateAsync(batchId, CancellationToken.None).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"No batch '{batchId}' in the store {store.Root}.");
            if (job.Status == BatchStatus.Validating)
            {
                job = BatchTransitions.ValidationInterrupted(job, time.GetUtcNow());
                await store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);
                File.Delete(store.PartialInputPath(batchId)); // as large as the input read so far, of a batch that never runs
            }
        }
        catch
        {
            await runLock.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (job.IsTerminal)
        {
            await runLock.DisposeAsync().ConfigureAwait(false);
            return (job, null);
        }

        var runner = new BatchRunner(job, store, processor, time, logger);
        if (!_running.TryAdd(job.Id, runner))
        {
            // Unreachable while the lock is exclusive: a runner of this batch would hold it.
            await runner.DisposeAsync().ConfigureAwait(false);
            await runLock.DisposeAsync().ConfigureAwait(false);
            return (_running.GetValueOrDefault(job.Id)?.Current, null);
        }

        _ = ReleaseWhenOverAsync(job.Id, runner, runner.Start(), runLock);
        if (IsDisposed)
        {
            // Disposed while this runner started, maybe after the others were stopped: stop this one too.
            runner.RequestStop(new BatchStopReason.Shutdown());
            await ((Task)runner.Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw new ObjectDisposedException(nameof(BatchJobManager));
        }

        return (runner.Current, runner);
    }

    /// <summary>
    /// Lets go of a batch as soon as its run is over, whatever ended it (its end, a cancellation or expiry, a shutdown, a
    /// stop on a refused key or a server gone, or a failure such as a damaged result file or a full disk, with its last
    /// state saved, ready to be resumed once repaired): it leaves the registry, then its run lock is released (in that
    /// order: whoever takes the lock can register a new runner), and only then is the runner disposed, which gives its
    /// end to <see cref="BatchRunner.Completion"/>: a waiter finds the batch no longer registered and unlocked.
    /// </summary>
    private async Task ReleaseWhenOverAsync(string batchId, BatchRunner runner, Task<BatchJob> run, FileStream runLock)
    {
        await ((Task)run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            _running.TryRemove(new KeyValuePair<string, BatchRunner>(batchId, runner));
            await runLock.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await runner.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops every runner without cancelling its batch, and waits until each has saved its state, left and released its lock.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var runners = _running.Values;
        foreach (var runner in runners)
        {
            runner.RequestStop(new BatchStopReason.Shutdown());
        }

        foreach (var runner in runners)
        {
            await ((Task)runner.Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
