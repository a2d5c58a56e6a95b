using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// Forwards a request as it came, except for its credentials: no key a client sent to this server reaches the gateway,
/// whatever header or query parameter carries it (<see cref="Credentials"/>: <c>Authorization</c>, llama-server's
/// <c>X-Api-Key</c>, <c>api-key</c>, <c>?api_key=</c>, …); the gateway gets this server's own gateway key, when there is one.
/// </summary>
internal sealed class GatewayRequestTransformer(string? gatewayApiKey) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        foreach (var name in proxyRequest.Headers.Select(static header => header.Key).Where(Credentials.IsCredential).ToList())
        {
            proxyRequest.Headers.Remove(name);
        }

        // The forwarder makes the address after this transform when it is left unset: made here, so that it is what is sent.
        proxyRequest.RequestUri ??= RequestUtilities.MakeDestinationAddress(destinationPrefix, httpContext.Request.Path, httpContext.Request.QueryString);
        if (proxyRequest.RequestUri is { Query.Length: > 1 } uri)
        {
            proxyRequest.RequestUri = WithoutCredentials(uri);
        }

        if (gatewayApiKey is not null)
        {
            proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gatewayApiKey);
        }
    }

    /// <summary>The address with every query parameter that carries a credential left out, the others as they came.</summary>
    private static Uri WithoutCredentials(Uri uri)
    {
        var kept = uri.Query[1..].Split('&').Where(static pair => !Credentials.IsCredential(Uri.UnescapeDataString(pair.Split('=', 2)[0].Replace('+', ' '))));
        var builder = new UriBuilder(uri) { Query = string.Join('&', kept) };
        return builder.Uri;
    }
}
