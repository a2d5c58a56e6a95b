namespace LocalBatch.Server.Internal;

/// <summary>How a gateway's address is shown: never with its user info (<c>http://user:password@host</c>), which is a credential.</summary>
internal static class GatewayAddress
{
    /// <summary>The scheme, host, port and path of <paramref name="gateway"/>, without user info or a trailing slash.</summary>
    public static string Display(Uri gateway) =>
        gateway.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) + gateway.AbsolutePath.TrimEnd('/');
}
