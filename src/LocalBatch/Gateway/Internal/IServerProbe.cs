namespace LocalBatch.Gateway.Internal;

/// <summary>What the pool asks a server on its own: how many slots it has, and whether it is ready again.</summary>
internal interface IServerProbe
{
    /// <summary>Reads one server's <c>/props</c> once, without retries.</summary>
    /// <returns>The props, or <see langword="null"/> when the server has no such route.</returns>
    /// <exception cref="LocalGatewayException">The server refused it (a request error) or did not answer.</exception>
    Task<GatewayProps?> ReadPropsAsync(ServerEndpoint server, CancellationToken cancellationToken);

    /// <summary>Asks one server's <c>/health</c> once: true when it answers ready (200).</summary>
    Task<bool> IsReadyAsync(ServerEndpoint server, CancellationToken cancellationToken);
}
