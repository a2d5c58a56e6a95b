using Microsoft.Extensions.Logging;

namespace LocalBatch.Internal;

/// <summary>
/// How many requests the server can serve at once: its <c>total_slots</c> from <c>/props</c>, else
/// <see cref="LocalBatchOptions.FallbackConcurrency"/> when the server has no <c>/props</c> or refuses it.
/// </summary>
internal static class ServerSlots
{
    /// <exception cref="LocalGatewayException">The server could not be reached (after the client's retries).</exception>
    public static async Task<int> ReadAsync(LocalGatewayClient client, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var props = await client.GetPropsAsync(cancellationToken).ConfigureAwait(false);
            if (props is { TotalSlots: > 0 })
            {
                Log.ConcurrencyChosen(logger, props.TotalSlots, "total_slots from /props");
                return props.TotalSlots;
            }

            Log.ConcurrencyChosen(logger, LocalBatchOptions.FallbackConcurrency, "the gateway has no /props");
            return LocalBatchOptions.FallbackConcurrency;
        }
        catch (LocalGatewayException ex) when (ex.Kind == GatewayErrorKind.Request)
        {
            Log.ConcurrencyChosen(logger, LocalBatchOptions.FallbackConcurrency, $"/props refused: {ex.StatusCode}");
            return LocalBatchOptions.FallbackConcurrency;
        }
    }
}
