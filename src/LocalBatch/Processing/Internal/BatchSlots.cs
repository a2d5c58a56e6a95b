using LocalBatch.Internal;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// The slots one batch runs in: a place within its own bound (so that it never has more than that many requests
/// outstanding), then its turn at one of the client's shared slots (so that batches running at once never put more
/// requests in flight than the server's concurrency). Each waiting request queues for its turn, first come first
/// served, so batches that run at once take turns rather than one starving the other.
/// </summary>
internal sealed class BatchSlots(int concurrency, SlotLimiter shared) : IDisposable
{
    private readonly SemaphoreSlim _own = new(concurrency, concurrency);

    /// <summary>Waits for room within the batch's own bound; give it back with <see cref="Unreserve"/>.</summary>
    public Task ReserveAsync(CancellationToken cancellationToken) => _own.WaitAsync(cancellationToken);

    /// <summary>Gives back a place taken by <see cref="ReserveAsync"/>.</summary>
    public void Unreserve() => _own.Release();

    /// <summary>Waits for this request's turn at the client's shared slots.</summary>
    public ValueTask<SlotLimiter.Lease> TakeTurnAsync(CancellationToken cancellationToken) => shared.AcquireAsync(cancellationToken);

    /// <summary>Both steps, for a caller that waits in a task of its own per request.</summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting (no slot is held).</exception>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        await ReserveAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new Lease(this, await TakeTurnAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            Unreserve();
            throw;
        }
    }

    public void Dispose() => _own.Dispose();

    /// <summary>Both slots of one request; disposing gives them back.</summary>
    internal readonly struct Lease(BatchSlots owner, SlotLimiter.Lease turn) : IDisposable
    {
        public void Dispose()
        {
            turn.Dispose();
            owner.Unreserve();
        }
    }
}
