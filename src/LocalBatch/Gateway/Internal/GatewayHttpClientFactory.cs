namespace LocalBatch.Gateway.Internal;

/// <summary>Builds the one handler chain a client without dependency injection uses for its whole life.</summary>
internal static class GatewayHttpClientFactory
{
    public static HttpClient Create(LocalBatchOptions options) =>
        new(CreateHandler(), disposeHandler: true)
        {
            BaseAddress = NormalizeBaseAddress(options.Endpoint),
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>
    /// The primary handler: pooled connections renewed every few minutes (DNS changes are seen), no limit on
    /// connections per server (the batch bound is the processor's), no automatic decompression surprises.
    /// </summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(15),
        MaxConnectionsPerServer = int.MaxValue,
        UseCookies = false,
    };

    /// <summary>Makes relative paths resolve under the endpoint, keeping a path prefix: <c>http://h/llm</c> → <c>http://h/llm/</c>.</summary>
    public static Uri NormalizeBaseAddress(Uri endpoint)
    {
        var text = endpoint.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/", UriKind.Absolute);
    }
}
