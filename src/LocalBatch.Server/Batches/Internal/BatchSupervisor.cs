using System.Collections.Concurrent;
using LocalBatch.Batches;
using LocalBatch.Server.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Batches.Internal;

/// <summary>
/// Keeps every unfinished batch of the store running for as long as the server runs. At start-up it resumes them
/// (before the first request); then it watches each batch until it ends. A run that stops because the gateway stayed
/// unreachable past every retry (the batch is still <c>in_progress</c>) is resumed as soon as the gateway's
/// <c>/health</c> answers ready again; one that stopped because the gateway refused this server's gateway key, or on a
/// file error, is tried again after a growing pause (one request, not a loop: <c>/health</c> needs no key). When the
/// server stops, the watching stops and the batches stay unfinished, to resume at the next start.
/// </summary>
internal sealed class BatchSupervisor(
    BatchJobManager batches,
    LocalBatchProcessor processor,
    IOptions<LocalBatchServerOptions> options,
    TimeProvider time,
    ILogger<BatchSupervisor> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan s_maxPause = TimeSpan.FromMinutes(10);

    private readonly TimeSpan _retryInterval = options.Value.GatewayRetryInterval;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Task> _watched = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Resumes every unfinished batch that no other process runs, and watches every unfinished one.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var job in await batches.ResumeAsync(cancellationToken).ConfigureAwait(false))
        {
            Log.BatchResumed(logger, job.Id, job.RequestCounts.Completed + job.RequestCounts.Failed, job.RequestCounts.Total);
        }

        await foreach (var job in batches.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!job.IsTerminal)
            {
                Watch(job.Id);
            }
        }
    }

    /// <summary>Watches a batch until it ends (nothing when it is watched already, or the server is stopping).</summary>
    public void Watch(string batchId)
    {
        lock (_gate)
        {
            if (!_stopping.IsCancellationRequested && !_watched.ContainsKey(batchId))
            {
                _watched[batchId] = Task.Run(() => WatchAsync(batchId));
            }
        }
    }

    /// <summary>Stops watching; the batches themselves stop when the manager is disposed, after this.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] watchers;
        lock (_gate)
        {
            _stopping.Cancel();
            watchers = [.. _watched.Values];
        }

        await Task.WhenAll(watchers).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task WatchAsync(string batchId)
    {
        var stopping = _stopping.Token;
        var stops = 0;
        try
        {
            while (true)
            {
                try
                {
                    // Runs the batch here if nobody runs it (any more), and waits for its end.
                    await batches.WaitAsync(batchId, stopping).ConfigureAwait(false);
                    return;
                }
                catch (LocalGatewayException ex) when (ex.StatusCode is 401 or 403)
                {
                    var pause = PauseAfter(stops++, stopping);
                    Log.GatewayRefusedKey(logger, batchId, GatewayAddress.Display(processor.Client.Endpoint), ex.StatusCode.Value, pause.Length);
                    await pause.Elapsed.ConfigureAwait(false);
                }
                catch (LocalGatewayException ex)
                {
                    Log.BatchWaitingForGateway(logger, batchId, GatewayAddress.Display(processor.Client.Endpoint), ex.Message);
                    await WaitForGatewayAsync(stopping).ConfigureAwait(false);
                    Log.GatewayBack(logger, batchId);
                }
                catch (IOException ex)
                {
                    var pause = PauseAfter(stops++, stopping);
                    Log.BatchRunFileError(logger, batchId, pause.Length, ex);
                    await pause.Elapsed.ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The server is stopping: the batch stays unfinished and resumes at the next start.
        }
        catch (KeyNotFoundException)
        {
            // Deleted meanwhile.
        }
        catch (Exception ex)
        {
            Log.BatchWatchFailed(logger, batchId, ex);
        }
        finally
        {
            lock (_gate)
            {
                // Under the lock that Watch adds under, so that the entry is never removed before it was added.
                _watched.TryRemove(batchId, out _);
            }
        }
    }

    /// <summary>
    /// The pause before a run that stopped is tried again: the retry interval, doubled after each stop, at most ten
    /// minutes. It starts before it is logged, so that a test's clock moved on after the log line ends it.
    /// </summary>
    private (TimeSpan Length, Task Elapsed) PauseAfter(int stops, CancellationToken cancellationToken)
    {
        var length = TimeSpan.FromTicks(Math.Min(s_maxPause.Ticks, _retryInterval.Ticks << Math.Min(stops, 16)));
        return (length, Task.Delay(length, time, cancellationToken));
    }

    /// <summary>Asks the gateway's <c>/health</c> every retry interval until it answers ready.</summary>
    private async Task WaitForGatewayAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if ((await processor.Client.GetHealthAsync(cancellationToken).ConfigureAwait(false)).IsReady)
                {
                    return;
                }
            }
            catch (LocalGatewayException)
            {
                // Still unreachable.
            }

            await Task.Delay(_retryInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
