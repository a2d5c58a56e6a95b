namespace LocalBatch.Gateway.Internal;

/// <summary>The pool's questions to a server, over HTTP: its <c>/props</c>, its <c>/health</c> and its load, each asked once.</summary>
internal sealed class ServerProbe(GatewayTransport transport, TimeProvider time) : IServerProbe
{
    /// <summary>How long the look-up of a server's <c>/props</c> may take: it holds up the server's first requests.</summary>
    private static readonly TimeSpan PropsLookUpTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a look at a server's load may take: a server too busy to say is asked again at the next look.</summary>
    private static readonly TimeSpan LoadLookTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc/>
    /// <remarks>Asked for at most ten seconds: a server that does not answer leaves the rotation at once rather than after every retry.</remarks>
    public async Task<GatewayProps?> ReadPropsAsync(ServerEndpoint server, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(PropsLookUpTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await transport.SendOnceAsync(server, HttpMethod.Get, "/props", content: null, ResponseReaders.Json(LocalBatchJsonContext.Default.GatewayProps), linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw LocalGatewayException.AttemptTimedOut("/props", PropsLookUpTimeout, ex);
        }
        catch (LocalGatewayException ex) when (ex.StatusCode is 404 or 405 or 501)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<ServerLoad?> ReadLoadAsync(ServerEndpoint server, LoadSource source, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(LoadLookTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var (path, read) = source == LoadSource.Slots
            ? ("/slots", (Func<HttpResponseMessage, string, CancellationToken, Task<ServerLoad>>)ServerLoadReader.ReadSlotsAsync)
            : ("/metrics", ServerLoadReader.ReadMetricsAsync);
        try
        {
            return await transport.SendOnceAsync(server, HttpMethod.Get, path, content: null, read, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw LocalGatewayException.AttemptTimedOut(path, LoadLookTimeout, ex);
        }
        catch (LocalGatewayException ex) when (ex.StatusCode is 404 or 405 or 501 or 401 or 403 || ex.Kind == GatewayErrorKind.InvalidResponse)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<bool> IsReadyAsync(ServerEndpoint server, CancellationToken cancellationToken) =>
        (await transport.GetHealthAsync(server, cancellationToken).ConfigureAwait(false)).StatusCode == 200;
}
