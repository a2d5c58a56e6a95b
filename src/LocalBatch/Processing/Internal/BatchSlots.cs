using LocalBatch.Internal;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// The slots one batch runs in: its own bound (so that it never waits with more than that many requests), then one of
/// the client's shared slots (so that batches running at once never put more requests in flight than the server's
/// concurrency, and take turns at them).
/// </summary>
internal sealed class BatchSlots(int concurrency, SlotLimiter shared) : IDisposable
{
    private readonly SemaphoreSlim _own = new(concurrency, concurrency);

    /// <exception cref="OperationCanceledException">Cancelled while waiting (no slot is held).</exception>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        await _own.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new Lease(_own, await shared.AcquireAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            _own.Release();
            throw;
        }
    }

    public void Dispose() => _own.Dispose();

    /// <summary>Both slots of one request; disposing gives them back.</summary>
    internal readonly struct Lease(SemaphoreSlim own, SlotLimiter.Lease shared) : IDisposable
    {
        public void Dispose()
        {
            shared.Dispose();
            own.Release();
        }
    }
}
