using System.Text.RegularExpressions;
using LocalBatch.Batches;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Hosting;

/// <summary>serve's own <c>/metrics</c> (Prometheus text) and <c>/openapi/v1.json</c>, both behind the key.</summary>
public sealed class OperatorRoutesTests
{
    private const string ClientKey = "client-secret-5c4b3a";

    [Fact]
    public async Task OpenApiDocument_ListsEveryRouteTheServerMaps_AndNoProxiedOne()
    {
        await using var env = await ServeAsync(o => o.ApiKey = ClientKey, clientKey: ClientKey);
        using var anonymous = new HttpClient { BaseAddress = env.Server.BaseAddress };

        var refused = await anonymous.GetAsync("/openapi/v1.json");
        var response = await env.Http.GetAsync("/openapi/v1.json");

        Assert.Equal(401, (int)refused.StatusCode);
        Assert.Equal(200, (int)response.StatusCode);
        var document = await JsonAsync(response);
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(operation => HttpMethods.GetCanonicalizedValue(operation.Name.ToUpperInvariant()) == operation.Name.ToUpperInvariant())
                .Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        // Every route the server maps with its methods, but the catch-alls (the proxy, and each owned root's 404/405),
        // the document itself, the gateway's metrics (proxied to it) and the dashboard (pages for a browser under /ui/).
        string[] notDocumented = ["/openapi/{documentName}.json", "/gateway/metrics"];
        var mapped = env.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => !endpoint.RoutePattern.Parameters.Any(parameter => parameter.IsCatchAll))
            .Where(endpoint => !endpoint.RoutePattern.RawText!.StartsWith("/ui/", StringComparison.Ordinal))
            .Where(endpoint => !notDocumented.Contains(endpoint.RoutePattern.RawText))
            .SelectMany(endpoint => endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods
                .Select(method => $"{method} {Regex.Replace(endpoint.RoutePattern.RawText!, @"\{([^}:]+):[^}]*\}", "{$1}")}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(mapped, documented);
        Assert.Contains("POST /v1/files", documented);
        Assert.Contains("POST /v1/batches", documented);
        Assert.Contains("POST /v1/messages/batches", documented);
        Assert.Contains("GET /metrics", documented);
        Assert.DoesNotContain(documented, route => route.Contains("**", StringComparison.Ordinal) || route.Contains("/gateway/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_AfterABatch_AreServedByTheServerInPrometheusText_BehindTheKey()
    {
        await using var env = await ServeAsync(o => o.ApiKey = ClientKey, clientKey: ClientKey);
        var job = await env.RunBatchAsync(ChatLines(3));
        Assert.Equal(BatchStatus.Completed, job.Status);
        using var anonymous = new HttpClient { BaseAddress = env.Server.BaseAddress };
        var gatewayMetricsBefore = env.Gateway.Counters.GetRequests("/metrics");

        var refused = await anonymous.GetAsync("/metrics");
        var response = await env.Http.GetAsync("/metrics");

        Assert.Equal(401, (int)refused.StatusCode);
        Assert.Equal("invalid_api_key", (await ErrorAsync(refused, 401)).GetProperty("code").GetString());
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Matches(new Regex(@"^localbatch_requests_total\{.*\} [1-9]", RegexOptions.Multiline), text);
        Assert.Contains("localbatch_tokens", text, StringComparison.Ordinal);
        Assert.Contains("localbatch_server_requests", text, StringComparison.Ordinal);
        Assert.Equal(gatewayMetricsBefore, env.Gateway.Counters.GetRequests("/metrics")); // served here, not proxied
    }

    [Fact]
    public async Task GatewayMetrics_AreProxiedToTheGatewaysMetrics_BehindTheKey()
    {
        await using var env = await ServeAsync(o => o.ApiKey = ClientKey, clientKey: ClientKey);
        using var anonymous = new HttpClient { BaseAddress = env.Server.BaseAddress };

        var refused = await anonymous.GetAsync("/gateway/metrics");
        await env.Http.GetAsync("/gateway/metrics");

        Assert.Equal(401, (int)refused.StatusCode);
        Assert.Equal(1, env.Gateway.Counters.GetRequests("/metrics"));
    }
}
