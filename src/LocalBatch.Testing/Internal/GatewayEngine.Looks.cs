using Microsoft.AspNetCore.Http;

namespace LocalBatch.Testing.Internal;

// Looks at the load: /slots and /metrics, answered beside the requests they count.
internal sealed partial class GatewayEngine
{
    private async Task AnswerLoadLookAsync(HttpContext context, string path)
    {
        GatewayResponse look;
        if (_loading)
        {
            look = ErrorResponses.Loading();
        }
        else if (!IsAuthorized(context.Request, path))
        {
            look = ErrorResponses.InvalidApiKey();
        }
        else
        {
            var slots = _slots.Snapshot();
            look = path == "/slots"
                ? _options.EnableSlots ? LoadResponses.Slots(slots, _options.ContextSize) : ErrorResponses.NotSupported(LoadResponses.SlotsNotSupported)
                : _options.EnableMetrics ? LoadResponses.Metrics(slots.Busy.Count(static b => b), slots.Waiting) : ErrorResponses.NotSupported(LoadResponses.MetricsNotSupported);
        }

        try
        {
            await WriteAsync(context, look, truncate: false, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
