using LocalBatch.Internal;

namespace LocalBatch.Tests.Support;

/// <summary>
/// Work that holds until the test opens the gate, counting how many pieces run at once, so that
/// concurrency, back-pressure and shutdown can be tested without sleeping. Disposing it opens it, so that
/// a failed assertion never leaves a queue's drain waiting for it: declare it after the queue.
/// </summary>
internal sealed class WorkGate : IDisposable
{
    // Only a safety net against a hung test run; every wait is signalled, none is timed.
    private static readonly TimeSpan Stuck = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private int _started;
    private int _running;
    private int _peak;

    public int Started => Volatile.Read(ref _started);

    public int Peak => Volatile.Read(ref _peak);

    public void Open() => _open.TrySetResult();

    public void Dispose() => Open();

    /// <summary>Completes once at least <paramref name="count"/> pieces of work have started.</summary>
    public Task WhenStarted(int count)
    {
        lock (_lock)
        {
            if (_started >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task.WaitAsync(Stuck);
        }
    }

    /// <summary>Waits for the gate (giving up when <paramref name="cancellationToken"/> is cancelled, unless told to ignore it), then returns <paramref name="value"/>.</summary>
    public async Task<T> RunAsync<T>(T value, CancellationToken cancellationToken, bool ignoreCancellation = false)
    {
        var running = Interlocked.Increment(ref _running);
        InterlockedMax.Update(ref _peak, running);
        lock (_lock)
        {
            _started++;
            foreach (var waiter in _waiters.Where(w => w.Count <= _started).ToList())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }

        try
        {
            await (ignoreCancellation ? _open.Task : _open.Task.WaitAsync(cancellationToken));
            return value;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
