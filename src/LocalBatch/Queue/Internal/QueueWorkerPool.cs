using System.Threading.Channels;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Queue.Internal;

/// <summary>
/// The workers of a <see cref="RequestQueue"/> and their shutdown: N tasks reading the channel (N found in the
/// background when it is automatic), each request run to its own result, and a stop that drains, then cancels, and
/// marks every request it did not run <see cref="RequestStatus.Cancelled"/>.
/// </summary>
internal sealed class QueueWorkerPool : IDisposable
{
    private readonly Channel<QueuedRequest> _channel;
    private readonly ResultStore _results;
    private readonly LocalGatewayClient _client;
    private readonly TimeSpan _drainTimeout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _run;
    private int _workers;
    private int _running;
    private int _peakConcurrency;
    private long _completed;
    private long _failed;
    private long _cancelled;

    // configuredWorkers: the worker count, or 0 to find it from the client (in the background).
    public QueueWorkerPool(Channel<QueuedRequest> channel, ResultStore results, LocalGatewayClient client, int configuredWorkers, TimeSpan drainTimeout, TimeProvider timeProvider, ILogger logger)
    {
        _channel = channel;
        _results = results;
        _client = client;
        _drainTimeout = drainTimeout;
        _timeProvider = timeProvider;
        _logger = logger;
        _workers = configuredWorkers;
        _run = Task.Run(() => RunAsync(configuredWorkers));
    }

    public int Workers => Volatile.Read(ref _workers);

    public int Running => Volatile.Read(ref _running);

    public int PeakConcurrency => Volatile.Read(ref _peakConcurrency);

    public long Completed => Interlocked.Read(ref _completed);

    public long Failed => Interlocked.Read(ref _failed);

    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Ends the graceful part of a stop: what has not finished is cancelled.</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed once stopped: there is nothing left to cancel.
        }
    }

    public void Dispose() => _abort.Dispose();

    private async Task RunAsync(int configuredWorkers)
    {
        try
        {
            var count = configuredWorkers;
            if (count == 0)
            {
                count = await ResolveWorkerCountAsync().ConfigureAwait(false);
                Volatile.Write(ref _workers, count);
            }
            else
            {
                Log.QueueStarted(_logger, count, nameof(RequestQueueOptions.MaxWorkers));
            }

            var workers = new Task[count];
            for (var i = 0; i < workers.Length; i++)
            {
                workers[i] = Task.Run(WorkAsync);
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Cancelled while the worker count was being read: no worker started, and the shutdown cancels what waits.
        }
        finally
        {
            // However the workers ended, nobody may go on waiting for room in a channel that nobody reads.
            _channel.Writer.TryComplete();
        }
    }

    private async Task<int> ResolveWorkerCountAsync()
    {
        var count = await _client.Pool.GetConcurrencyAsync(_abort.Token).ConfigureAwait(false);
        Log.QueueStarted(_logger, count, "automatic");
        return count;
    }

    private async Task WorkAsync()
    {
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var request))
                {
                    Dequeued();
                    await RunOneAsync(request).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // A cancelled shutdown: StopAsync marks what is left in the channel.
        }
    }

    private async Task RunOneAsync(QueuedRequest request)
    {
        var cancellationToken = _abort.Token;
        if (cancellationToken.IsCancellationRequested || !request.TryStart(_timeProvider.GetUtcNow()))
        {
            Finish(request, RequestStatus.Cancelled);
            return;
        }

        InterlockedMax.Update(ref _peakConcurrency, Interlocked.Increment(ref _running));
        var status = RequestStatus.Completed;
        object? value = null;
        BatchItemError? error = null;
        Task<object?>? work = null;
        try
        {
            work = request.Work(cancellationToken);

            // Work that ignores the token is abandoned when the shutdown cancels, so that shutdown always ends.
            value = await work.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            status = RequestStatus.Cancelled;
            if (work is { IsCompleted: false })
            {
                _ = work.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (Exception ex)
        {
            // One bad request never stops the worker: its failure is its own result.
            status = RequestStatus.Failed;
            error = BatchItemError.FromException(ex);
            Log.QueuedRequestFailed(_logger, request.Id, error.ToString());
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }

        Finish(request, status, value, error);
    }

    private void Finish(QueuedRequest request, RequestStatus status, object? value = null, BatchItemError? error = null)
    {
        if (!request.TryFinish(status, value, error, _timeProvider.GetUtcNow(), out var final))
        {
            return;
        }

        switch (status)
        {
            case RequestStatus.Completed:
                Interlocked.Increment(ref _completed);
                break;
            case RequestStatus.Failed:
                Interlocked.Increment(ref _failed);
                break;
            default:
                Interlocked.Increment(ref _cancelled);
                break;
        }

        // Counted and listed before anyone is woken, so a reader sees consistent stats.
        _results.OnFinished(request);
        request.Publish(final);
    }

    private void Dequeued() => _client.Metrics.QueueDepthChanged(-1);

    /// <summary>
    /// Stops the pool: the channel is completed, the workers empty it until the drain timeout or <see cref="Abort"/>,
    /// then what is still running is cancelled and what is still queued is marked cancelled.
    /// </summary>
    public async Task StopAsync()
    {
        var cancelledBefore = Interlocked.Read(ref _cancelled);
        _channel.Writer.TryComplete();
        try
        {
            // Graceful: the workers empty the channel and end.
            await _run.WaitAsync(_drainTimeout, _timeProvider, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // The drain timeout passed, or the stop token was cancelled: cancel what is left.
        }

        Abort();
        await _run.ConfigureAwait(false);

        // Whatever the workers did not take (a cancelled shutdown, or no worker ever started) is accounted for here.
        while (_channel.Reader.TryRead(out var request))
        {
            Dequeued();
            Finish(request, RequestStatus.Cancelled);
        }

        var cancelled = Interlocked.Read(ref _cancelled) - cancelledBefore;
        if (cancelled > 0)
        {
            Log.QueueCancelledRemaining(_logger, (int)cancelled);
        }
    }
}
