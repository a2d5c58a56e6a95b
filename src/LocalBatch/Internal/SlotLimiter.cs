namespace LocalBatch.Internal;

/// <summary>
/// At most <see cref="Limit"/> holders at once, served first come, first served. Shared by every batch on a client,
/// it keeps their sum within the server's slots; because each batch also bounds its own waiters, a batch that starts
/// later waits behind at most one round of an earlier batch's requests, never behind all of them.
/// </summary>
/// <remarks>The limit may change while slots are held: a lower one takes effect as holders leave.</remarks>
internal sealed class SlotLimiter(int limit)
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _limit = Math.Max(1, limit);
    private int _inUse;

    /// <summary>Gets or sets how many may hold a slot at once (at least 1).</summary>
    public int Limit
    {
        get => Volatile.Read(ref _limit);
        set
        {
            lock (_gate)
            {
                _limit = Math.Max(1, value);
                while (_inUse < _limit && TryHandOver())
                {
                    _inUse++;
                }
            }
        }
    }

    /// <summary>Gets how many slots are held now.</summary>
    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>Waits for a slot; dispose the lease to give it back.</summary>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled first (no slot is held), even when a slot is free, as
    /// <see cref="SemaphoreSlim.WaitAsync(CancellationToken)"/> does: a cancelled batch starts nothing more.
    /// </exception>
    public ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_inUse < _limit && _waiters.Count == 0)
            {
                _inUse++;
                return ValueTask.FromResult(new Lease(this));
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        return WaitAsync(waiter, cancellationToken);
    }

    private async ValueTask<Lease> WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        using (cancellationToken.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter))
        {
            // A waiter cancelled in the queue is skipped when its turn comes; one handed a slot first keeps it.
            await waiter.Task.ConfigureAwait(false);
        }

        return new Lease(this);
    }

    private void Release()
    {
        lock (_gate)
        {
            if (_inUse > _limit || !TryHandOver())
            {
                _inUse--;
            }
        }
    }

    /// <summary>Gives a slot that is being released (or is free) to the first waiter still waiting.</summary>
    private bool TryHandOver()
    {
        while (_waiters.TryDequeue(out var next))
        {
            if (next.TrySetResult())
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A held slot; disposing it gives the slot back (once).</summary>
    internal readonly struct Lease(SlotLimiter owner) : IDisposable
    {
        public void Dispose() => owner?.Release();
    }
}
