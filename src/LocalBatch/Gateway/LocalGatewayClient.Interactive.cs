using LocalBatch.Gateway.Internal;

namespace LocalBatch;

// What the client knows of the servers' load, and the requests of others that batches yield to.
public sealed partial class LocalGatewayClient
{
    /// <summary>
    /// Gets each server's figures now: its slots, the requests in flight on it, the interactive requests running on it
    /// and the slots batches leave free for them (every processor, queue and batch on this client together).
    /// </summary>
    /// <returns>One entry a server, in the order of the options.</returns>
    public IReadOnlyList<ServerProgress> GetServers() => Pool.Snapshot();

    /// <summary>
    /// Tells the client that a request someone is waiting for runs on <paramref name="server"/> without going through
    /// this client (a proxy in front of the server, as <c>localbatch serve</c> has): batch work leaves slots free for it
    /// (with <see cref="BatchPriority.Background"/>) until it ends and <see cref="LocalBatchOptions.InteractiveHoldDown"/>
    /// passes. Never waits and never refuses: the request itself is not held up.
    /// </summary>
    /// <param name="server">The server the request is sent to: one of <see cref="Endpoints"/>.</param>
    /// <returns>The request's end: dispose it when the request's answer has been sent (disposing twice counts once).</returns>
    /// <exception cref="ArgumentException"><paramref name="server"/> is not one of this client's servers.</exception>
    public IDisposable BeginInteractiveRequest(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var address = GatewayHttpClientFactory.NormalizeBaseAddress(server);
        foreach (var endpoint in Pool.Endpoints)
        {
            if (Uri.Compare(endpoint.BaseAddress, address, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.SafeUnescaped, StringComparison.OrdinalIgnoreCase) == 0)
            {
                return Pool.BeginProxied(endpoint);
            }
        }

        throw new ArgumentException($"'{server}' is not one of this client's servers ({string.Join(", ", Pool.Endpoints.Select(static endpoint => endpoint.Display))}).", nameof(server));
    }
}
