namespace LocalBatch.Processing.Internal;

/// <summary>
/// The bound of one batch: it never has more requests outstanding than that. Which server each request goes to, and
/// when, is the client's <see cref="Gateway.Internal.EndpointPool"/>: its slots are shared by every batch on the client,
/// and each outstanding request waits in line there, so that batches running at once take turns.
/// </summary>
internal sealed class BatchSlots(int concurrency) : IDisposable
{
    private readonly SemaphoreSlim _own = new(concurrency, concurrency);

    /// <summary>Waits for room within the batch's bound; give it back with <see cref="Unreserve"/>.</summary>
    /// <exception cref="OperationCanceledException">
    /// Cancelled while waiting, or just as room was given (a cancelled batch starts nothing more): no room is held.
    /// </exception>
    public async Task ReserveAsync(CancellationToken cancellationToken)
    {
        await _own.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested)
        {
            _own.Release();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Gives back a place taken by <see cref="ReserveAsync"/>.</summary>
    public void Unreserve() => _own.Release();

    /// <summary>Waits for room, for a caller that waits in a task of its own per request; disposing the lease gives it back.</summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting (no room is held).</exception>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        await ReserveAsync(cancellationToken).ConfigureAwait(false);
        return new Lease(this);
    }

    public void Dispose() => _own.Dispose();

    /// <summary>Room for one request; disposing gives it back.</summary>
    internal readonly struct Lease(BatchSlots owner) : IDisposable
    {
        public void Dispose() => owner.Unreserve();
    }
}
