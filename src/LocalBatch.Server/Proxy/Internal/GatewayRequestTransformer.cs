using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// Forwards a request as it came, except for its credentials: the key a client sent to this server (as
/// <c>Authorization</c> or llama-server's <c>X-Api-Key</c>) never reaches the gateway; the gateway gets this server's
/// own gateway key, when there is one.
/// </summary>
internal sealed class GatewayRequestTransformer(string? gatewayApiKey) : HttpTransformer
{
    private const string ApiKeyHeader = "X-Api-Key";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.Headers.Remove(HeaderNames.Authorization);
        proxyRequest.Headers.Remove(ApiKeyHeader);
        if (gatewayApiKey is not null)
        {
            proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gatewayApiKey);
        }
    }
}
