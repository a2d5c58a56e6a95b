using LocalBatch.Gateway.Internal;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// One lane of the engine: it sends its runs' requests one after another and, when its runs share prompt prefixes,
/// remembers the server its last request went to, where the next one goes when that server has room, and keeps one of
/// that server's slots where it can (<see cref="SlotPin"/>), so that the slot's prompt cache serves the whole run.
/// </summary>
/// <param name="keepsServer">Whether the lane's runs share prefixes (otherwise it prefers no server).</param>
internal sealed class Lane(bool keepsServer)
{
    /// <summary>Gets the slot the lane keeps, when its runs share prefixes; <see langword="null"/> otherwise.</summary>
    public SlotPin? Pin { get; } = keepsServer ? new SlotPin() : null;

    /// <summary>Gets the server the lane's next request goes to when it has room, or <see langword="null"/> for any.</summary>
    public ServerEndpoint? Server { get; private set; }

    /// <summary>Keeps the server a request of this lane went to (what its send returned); nothing changes when none did.</summary>
    public void Keep(ServerEndpoint? server)
    {
        if (keepsServer && server is not null)
        {
            Server = server;
        }
    }
}
