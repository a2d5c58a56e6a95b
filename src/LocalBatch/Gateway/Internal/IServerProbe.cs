namespace LocalBatch.Gateway.Internal;

/// <summary>What the pool asks a server on its own: how many slots it has, whether it is ready again, and what it runs.</summary>
internal interface IServerProbe
{
    /// <summary>Reads one server's <c>/props</c> once, without retries.</summary>
    /// <returns>The props, or <see langword="null"/> when the server has no such route.</returns>
    /// <exception cref="LocalGatewayException">The server refused it (a request error) or did not answer.</exception>
    Task<GatewayProps?> ReadPropsAsync(ServerEndpoint server, CancellationToken cancellationToken);

    /// <summary>Asks one server's <c>/health</c> once: true when it answers ready (200).</summary>
    Task<bool> IsReadyAsync(ServerEndpoint server, CancellationToken cancellationToken);

    /// <summary>Reads one server's load once from <paramref name="source"/> (<c>/slots</c> or <c>/metrics</c>), within a second.</summary>
    /// <returns>The load, or <see langword="null"/> when the server has no such route or has it turned off.</returns>
    /// <exception cref="LocalGatewayException">The server did not answer, or answered something else.</exception>
    Task<ServerLoad?> ReadLoadAsync(ServerEndpoint server, LoadSource source, CancellationToken cancellationToken);
}
