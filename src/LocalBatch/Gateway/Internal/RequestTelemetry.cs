namespace LocalBatch.Gateway.Internal;

/// <summary>What one logical request cost: how many attempts the resilience pipeline made for it, and where the last went.</summary>
internal sealed class RequestTelemetry
{
    private int _attempts;
    private ServerEndpoint? _server;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Gets the server the request goes to when it has room (its lane's), or <see langword="null"/>.</summary>
    public ServerEndpoint? PreferredServer { get; init; }

    /// <summary>Gets or sets the server of the last attempt.</summary>
    public ServerEndpoint? Server
    {
        get => Volatile.Read(ref _server);
        set => Volatile.Write(ref _server, value);
    }

    public void AttemptStarted() => Interlocked.Increment(ref _attempts);
}
