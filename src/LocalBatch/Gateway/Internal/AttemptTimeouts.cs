using System.Collections.Concurrent;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// Cancellation sources for attempt timeouts, reused from attempt to attempt: an attempt that ends in time gives its
/// source back reset (its timer stopped), so that the common case allocates neither a source nor a timer.
/// </summary>
internal sealed class AttemptTimeouts(TimeSpan timeout, TimeProvider time)
{
    private const int MaxPooled = 256;
    private readonly ConcurrentQueue<CancellationTokenSource> _pool = new();

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>A source that cancels after <see cref="Timeout"/>, on this client's clock.</summary>
    public CancellationTokenSource Rent()
    {
        if (!_pool.TryDequeue(out var source))
        {
            source = new CancellationTokenSource(System.Threading.Timeout.InfiniteTimeSpan, time);
        }

        source.CancelAfter(Timeout);
        return source;
    }

    /// <summary>Gives a source back: kept when it can be reset (it did not fire), else disposed.</summary>
    public void Return(CancellationTokenSource source)
    {
        if (_pool.Count < MaxPooled && source.TryReset())
        {
            _pool.Enqueue(source);
        }
        else
        {
            source.Dispose();
        }
    }
}
