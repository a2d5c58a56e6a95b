using LocalBatch.Gateway.Internal;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// One lane of a batch whose requests run one after another: it remembers the server its last request went to, where
/// the next one goes when that server has room, so that the server's prompt cache serves the whole run.
/// </summary>
internal sealed class Lane
{
    public ServerEndpoint? Server { get; set; }
}
