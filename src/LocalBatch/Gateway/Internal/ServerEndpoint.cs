namespace LocalBatch.Gateway.Internal;

/// <summary>
/// One server of a client as the rest of the client knows it: its address, its tags and its counts. How many requests
/// it takes, how many it has and whether it is in the rotation are the <see cref="EndpointPool"/>'s own state, changed
/// only by the pool (see <c>EndpointPool.ServerState</c>).
/// </summary>
internal sealed class ServerEndpoint
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Uri> _uris = new(StringComparer.Ordinal);
    private long _requests;
    private long _failures;

    public ServerEndpoint(Uri baseAddress, int index)
    {
        BaseAddress = GatewayHttpClientFactory.NormalizeBaseAddress(baseAddress);
        Index = index;
        Host = BaseAddress.Host;
        Port = BaseAddress.Port;
        // Never its user info (http://user:password@host): the address is shown in logs, messages and progress.
        Display = BaseAddress.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) + BaseAddress.AbsolutePath.TrimEnd('/');
        ServerAddressTag = new("server.address", Host);
        ServerPortTag = new("server.port", Port);
    }

    /// <summary>Gets the base address, ending with <c>/</c> so that relative paths keep a path prefix.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the position of the server in the options' list.</summary>
    public int Index { get; }

    public string Host { get; }

    public int Port { get; }

    /// <summary>Gets the address as people write it, without a trailing slash and without user info.</summary>
    public string Display { get; }

    public KeyValuePair<string, object?> ServerAddressTag { get; }

    public KeyValuePair<string, object?> ServerPortTag { get; }

    /// <summary>Gets the attempts sent to it.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Gets the attempts that got no usable answer from it.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The absolute address of a path on this server, such as <c>/v1/completions</c> (built once a path).</summary>
    public Uri UriOf(string path) => _uris.GetOrAdd(path, static (path, baseAddress) => new Uri(baseAddress, path.TrimStart('/')), BaseAddress);

    public void CountRequest() => Interlocked.Increment(ref _requests);

    public void CountFailure() => Interlocked.Increment(ref _failures);

    public override string ToString() => Display;
}
