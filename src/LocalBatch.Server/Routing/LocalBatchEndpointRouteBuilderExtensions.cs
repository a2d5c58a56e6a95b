using LocalBatch.Server;
using LocalBatch.Server.Batches.Internal;
using LocalBatch.Server.Dashboard.Internal;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.MessageBatches.Internal;
using LocalBatch.Server.Proxy.Internal;
using LocalBatch.Server.Routing.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts the Batch, Files and Message Batches APIs in an ASP.NET Core app.</summary>
public static class LocalBatchEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps OpenAI's Files API (<c>/v1/files</c>) and Batch API (<c>/v1/batches</c>, with <c>GET /v1/batches/{id}/results</c>),
    /// Anthropic's Message Batches API (<c>/v1/messages/batches</c>), the server's own metrics in Prometheus text format
    /// (<c>/metrics</c>; the gateway's at <c>/gateway/metrics</c> when proxying), the OpenAPI document of these routes
    /// (<c>/openapi/v1.json</c>), unless <see cref="LocalBatchServerOptions.ServeDashboard"/> is off the batch dashboard at
    /// <c>/ui</c> (behind a login with the same key, which starts a session in a cookie) and, unless
    /// <see cref="LocalBatchServerOptions.ProxyOtherRoutes"/> is off, a catch-all route that forwards every other request
    /// to the gateway. Every route under those three roots is the server's own (an unknown one is a 404 or 405, never
    /// proxied); each API answers errors in its vendor's shape and, when <see cref="LocalBatchServerOptions.ApiKey"/> is
    /// set, every route needs the key, as <c>Authorization: Bearer</c> or <c>x-api-key</c> (all but <c>/health</c>).
    /// </summary>
    /// <param name="endpoints">The app or route group to map on.</param>
    /// <returns>The group of the mapped routes, to add conventions to.</returns>
    /// <exception cref="InvalidOperationException"><c>AddLocalBatchServer</c> was not called.</exception>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public static IEndpointConventionBuilder MapLocalBatchApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<IServiceProviderIsService>()?.IsService(typeof(FileCatalog)) != true)
        {
            throw new InvalidOperationException("Call services.AddLocalBatchServer(...) before app.MapLocalBatchApi().");
        }

        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<LocalBatchServerOptions>>().Value;
        _ = endpoints.ServiceProvider.GetRequiredService<ApiKeyRing>(); // the keys as they are now: a later change is a reload
        _ = endpoints.ServiceProvider.GetRequiredService<ServerMetrics>(); // its gauges exist from the start

        var api = endpoints.MapGroup(string.Empty);
        api.AddEndpointFilter<ApiKeyFilter>().AddEndpointFilter<ApiErrorFilter>();
        var owned = new OwnedRoutes(api);
        FileEndpoints.Map(owned);
        BatchEndpoints.Map(owned);
        MessageBatchEndpoints.Map(owned);
        owned.MapRoot("/v1/files");
        owned.MapRoot("/v1/batches");
        owned.MapRoot(MessageBatchEndpoints.Path);
        OperatorRoutes.Map(api, options.ProxyOtherRoutes);
        if (options.ServeDashboard)
        {
            DashboardRoutes.Map(endpoints);
        }

        if (options.ProxyOtherRoutes)
        {
            GatewayProxy.Map(endpoints, api);
        }

        return api;
    }
}
