using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;

namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// Every route this server does not serve itself (the rest of <c>/v1/</c>, <c>/health</c>, <c>/props</c>,
/// <c>/tokenize</c>, …) forwarded unchanged with YARP to a destination of the gateways' cluster
/// (<see cref="GatewayCluster"/>), server-sent events streamed as they come. A request that takes a slot
/// (<see cref="GenerationRoutes"/>) goes to the gateway with the most free slots (<see cref="MostFreeSlotsPolicy"/>) and
/// is counted in the slot ledger (<see cref="LocalGatewayClient.BeginInteractiveRequest"/>) until its answer has been
/// sent or it was aborted, so that batches leave slots free for it; any other goes to the first healthy gateway. Nothing
/// is queued or delayed here. A gateway that cannot be reached is answered with a 502 in OpenAI's error shape.
/// </summary>
internal sealed class GatewayProxy(
    IHttpForwarder forwarder,
    IProxyStateLookup proxyState,
    GatewayCluster gateways,
    MostFreeSlotsPolicy policy,
    LocalGatewayClient client,
    IOptions<LocalBatchServerOptions> options,
    ILogger<GatewayProxy> logger)
{
    private readonly GatewayRequestTransformer _transformer = new(options.Value.GatewayApiKey);
    private readonly bool _keyed = options.Value.ApiKey is not null;

    /// <summary>
    /// Maps the catch-all route that forwards to the gateways (every more specific route wins over it) on
    /// <paramref name="api"/>, and loads YARP's configuration (the gateways' cluster, no routes of its own) on
    /// <paramref name="endpoints"/>, which starts its health checks.
    /// </summary>
    public static void Map(IEndpointRouteBuilder endpoints, IEndpointRouteBuilder api)
    {
        endpoints.MapReverseProxy();
        api.Map("/{**path}", static (HttpContext context, GatewayProxy proxy) => proxy.ForwardAsync(context));
    }

    public async Task ForwardAsync(HttpContext context)
    {
        if (!proxyState.TryGetCluster(GatewayCluster.ClusterId, out var cluster))
        {
            throw new InvalidOperationException("The gateways' cluster is not loaded: map the API with app.MapLocalBatchApi().");
        }

        var takesASlot = GenerationRoutes.TakesASlot(context.Request);
        var available = cluster.DestinationsState.AvailableDestinations;
        var destination = takesASlot ? policy.PickDestination(context, cluster, available) : gateways.First(available);
        if (destination is null)
        {
            await new ApiError(StatusCodes.Status503ServiceUnavailable, "No gateway is available.", ApiError.Server, Code: "gateway_error")
                .WriteAsync(context).ConfigureAwait(false);
            return;
        }

        var address = destination.Model.Config.Address;
        ForwarderError error;
        using (takesASlot ? Count(address) : null)
        {
            error = await forwarder.SendAsync(context, address, cluster.Model.HttpClient, cluster.Model.Config.HttpRequest ?? ForwarderRequestConfig.Empty, _transformer)
                .ConfigureAwait(false);
        }

        if (error is ForwarderError.None or ForwarderError.RequestCanceled or ForwarderError.ResponseBodyCanceled)
        {
            return;
        }

        var cause = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        Log.ProxyFailed(logger, context.Request.Method, context.Request.Path, error.ToString(), cause?.Message);
        var status = context.Response.StatusCode >= 500 ? context.Response.StatusCode : StatusCodes.Status502BadGateway;
        // The gateway's address (never its user info) only to a caller who gave the key: the open /health check tells nothing of it.
        var gateway = _keyed && ApiKeyFilter.IsOpenHealthCheck(context.Request) ? "The gateway" : $"The gateway at {gateways.Displays[gateways.IndexOf(destination)]}";
        await new ApiError(status, $"{gateway} could not be reached or did not answer ({error}).", ApiError.Server, Code: "gateway_error")
            .WriteAsync(context).ConfigureAwait(false);
    }

    /// <summary>Counts the request in the slot ledger of <paramref name="address"/> until the returned value is disposed.</summary>
    private IDisposable? Count(string address)
    {
        try
        {
            return client.BeginInteractiveRequest(new Uri(address));
        }
        catch (ArgumentException)
        {
            // The client's servers were changed past the server's options: the request runs, uncounted.
            return null;
        }
    }
}
