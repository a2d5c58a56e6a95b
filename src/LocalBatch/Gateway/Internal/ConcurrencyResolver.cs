using LocalBatch.Internal;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// How many requests to keep in flight against a client's server, decided in one place for the processor and the
/// queue: <see cref="LocalBatchOptions.MaxConcurrency"/> when set; else the server's <c>total_slots</c> from
/// <c>/props</c>, read once; else <see cref="LocalBatchOptions.FallbackConcurrency"/>.
/// </summary>
/// <remarks>
/// The fallback is used when the server has no <c>/props</c> or refuses it (remembered), and when it cannot be reached
/// at all (not remembered: the next batch asks again). A server that is down is not this decision's failure: each
/// request then fails, or is retried, on its own, as it would with a fixed concurrency.
/// </remarks>
internal sealed class ConcurrencyResolver(LocalGatewayClient client)
{
    private readonly Lock _gate = new();
    private Task<Found>? _found;

    /// <summary>
    /// Gets the slots every batch on this client shares, as many as the concurrency last found: batches running at once
    /// take turns at them rather than each sending that many.
    /// </summary>
    public SlotLimiter Slots { get; } = new(client.Options.MaxConcurrency > 0 ? client.Options.MaxConcurrency : LocalBatchOptions.FallbackConcurrency);

    public async Task<int> GetAsync(CancellationToken cancellationToken)
    {
        if (client.Options.MaxConcurrency > 0)
        {
            return client.Options.MaxConcurrency;
        }

        Task<Found> found;
        lock (_gate)
        {
            // A read that was cancelled, or that fell back because the server was down, is not kept.
            if (_found is null || _found.IsCanceled || _found.IsFaulted || (_found.IsCompletedSuccessfully && !_found.Result.Keep))
            {
                _found = ReadAsync(cancellationToken);
            }

            found = _found;
        }

        var concurrency = (await found.ConfigureAwait(false)).Concurrency;
        Slots.Limit = concurrency;
        return concurrency;
    }

    private async Task<Found> ReadAsync(CancellationToken cancellationToken)
    {
        var logger = client.Logger;
        try
        {
            var props = await client.GetPropsAsync(cancellationToken).ConfigureAwait(false);
            if (props is { TotalSlots: > 0 })
            {
                Log.ConcurrencyChosen(logger, props.TotalSlots, "total_slots from /props");
                return new Found(props.TotalSlots, Keep: true);
            }

            Log.ConcurrencyChosen(logger, LocalBatchOptions.FallbackConcurrency, "the server has no /props");
            return new Found(LocalBatchOptions.FallbackConcurrency, Keep: true);
        }
        catch (LocalGatewayException ex) when (ex.Kind == GatewayErrorKind.Request)
        {
            Log.ConcurrencyChosen(logger, LocalBatchOptions.FallbackConcurrency, $"/props refused: {ex.StatusCode}");
            return new Found(LocalBatchOptions.FallbackConcurrency, Keep: true);
        }
        catch (LocalGatewayException ex)
        {
            Log.ConcurrencyFallback(logger, LocalBatchOptions.FallbackConcurrency, ex.Message);
            return new Found(LocalBatchOptions.FallbackConcurrency, Keep: false);
        }
    }

    private readonly record struct Found(int Concurrency, bool Keep);
}
