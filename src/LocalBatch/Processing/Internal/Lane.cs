using LocalBatch.Gateway.Internal;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// One lane of the engine: it sends its runs' requests one after another, and remembers the server its last request
/// went to, where the next one goes when that server has room, so that the server's prompt cache serves the whole run.
/// </summary>
internal sealed class Lane
{
    /// <summary>Gets the server of the lane's last request, or <see langword="null"/> before it sent any.</summary>
    public ServerEndpoint? Server { get; private set; }

    /// <summary>Keeps the server a request of this lane went to (what its send returned); nothing changes when none did.</summary>
    public void Keep(ServerEndpoint? server) => Server = server ?? Server;
}
