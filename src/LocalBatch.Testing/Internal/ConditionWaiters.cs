namespace LocalBatch.Testing.Internal;

/// <summary>
/// Lets callers wait until a condition over the counters holds, without polling: whoever changes a counter
/// calls <see cref="Notify"/> after the change, and every pending condition is checked again.
/// </summary>
internal sealed class ConditionWaiters
{
    private readonly Lock _lock = new();
    private readonly List<Waiter> _waiters = [];
    private int _count;
    private bool _disposed;

    public Task WaitAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        Waiter waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(SimulatedGateway));

            // Checked under the lock after the counter changes that precede Notify, so no wake-up is lost.
            if (condition())
            {
                return Task.CompletedTask;
            }

            waiter = new Waiter(condition);
            _waiters.Add(waiter);
            _count = _waiters.Count;
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(
                static state =>
                {
                    var (self, w, token) = ((ConditionWaiters, Waiter, CancellationToken))state!;
                    self.Remove(w);
                    w.Completion.TrySetCanceled(token);
                },
                (this, waiter, cancellationToken));
        }

        return waiter.Completion.Task;
    }

    public void Notify()
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        List<Waiter>? done = null;
        lock (_lock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition())
                {
                    (done ??= []).Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }

            _count = _waiters.Count;
        }

        if (done is not null)
        {
            foreach (var waiter in done)
            {
                waiter.Registration.Dispose();
                waiter.Completion.TrySetResult();
            }
        }
    }

    public void Dispose()
    {
        Waiter[] pending;
        lock (_lock)
        {
            _disposed = true;
            pending = [.. _waiters];
            _waiters.Clear();
            _count = 0;
        }

        foreach (var waiter in pending)
        {
            waiter.Registration.Dispose();
            waiter.Completion.TrySetException(new ObjectDisposedException(nameof(SimulatedGateway)));
        }
    }

    private void Remove(Waiter waiter)
    {
        lock (_lock)
        {
            _waiters.Remove(waiter);
            _count = _waiters.Count;
        }
    }

    private sealed class Waiter(Func<bool> condition)
    {
        public Func<bool> Condition { get; } = condition;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}
