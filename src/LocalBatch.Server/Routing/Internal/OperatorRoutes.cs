using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.Proxy.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LocalBatch.Server.Routing.Internal;

/// <summary>
/// The routes an operator reads rather than a client: the server's own metrics in Prometheus text format at
/// <c>/metrics</c> (the <c>LocalBatch</c> meter, through OpenTelemetry's exporter), the gateway's own metrics still
/// reachable at <c>/gateway/metrics</c> (proxied to its <c>/metrics</c>, when the server proxies to it), and the OpenAPI document of the server's own
/// routes at <c>/openapi/v1.json</c>. Each is mapped on the API's group, so it needs the key like every other route; the
/// metrics an admin key, when there are keys of several owners.
/// </summary>
internal static class OperatorRoutes
{
    /// <summary>The name of the OpenAPI document, served at <c>/openapi/{DocumentName}.json</c>.</summary>
    public const string DocumentName = "v1";

    /// <summary>The library's meter (its instruments are named <c>localbatch.*</c>), exported at <see cref="MetricsPath"/>.</summary>
    public const string MeterName = "LocalBatch";

    /// <summary>Where the server's own metrics are scraped.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Where the gateway's own metrics stay reachable.</summary>
    public const string GatewayMetricsPath = "/gateway/metrics";

    private static readonly ApiError s_adminsOnly = new(StatusCodes.Status403Forbidden, "The server's metrics count every key's batches; they are for admin keys.", Code: "permission_denied");

    /// <summary>Maps the routes on the API's group; the gateway's metrics only when other routes are proxied to it.</summary>
    public static void Map(IEndpointRouteBuilder api, bool proxyToGateway)
    {
        // The exporter's middleware as the end of a branch, called from an ordinary GET route so that the group's key
        // filter applies to it (a route mapped on a bare RequestDelegate skips endpoint filters).
        var branch = api.CreateApplicationBuilder();
        branch.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: static _ => true, path: null, configureBranchedPipeline: null, optionsName: null);
        var scrape = branch.Build();
        // A Func rather than a RequestDelegate: so described, the route shows in the OpenAPI document.
        // Metrics count every owner's batches: with a keys file, they are for admin keys.
        Func<HttpContext, Task> metrics = context => Caller.Of(context).IsAdmin ? scrape(context) : s_adminsOnly.WriteAsync(context);
        api.MapGet(MetricsPath, metrics)
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .WithSummary("The server's own metrics (the LocalBatch meter) in Prometheus text format.");

        if (proxyToGateway)
        {
            api.MapGet(GatewayMetricsPath, static (HttpContext context, GatewayProxy proxy) =>
            {
                context.Request.Path = MetricsPath;
                return proxy.ForwardAsync(context);
            }).ExcludeFromDescription();
        }

        api.MapOpenApi();
    }
}
