using System.Globalization;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// One server of a client: its address, how many requests it takes at once and how many it has now, whether it is in
/// the rotation, and its counts. The slot and health fields belong to <see cref="EndpointPool"/>, which reads and
/// writes them under its lock.
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
        Display = BaseAddress.GetLeftPart(UriPartial.Authority) + BaseAddress.AbsolutePath.TrimEnd('/');
        ServerAddressTag = new("server.address", Host);
        ServerPortTag = new("server.port", Port);
    }

    /// <summary>Gets the base address, ending with <c>/</c> so that relative paths keep a path prefix.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the position of the server in the options' list.</summary>
    public int Index { get; }

    public string Host { get; }

    public int Port { get; }

    /// <summary>Gets the address as people write it, without a trailing slash.</summary>
    public string Display { get; }

    public KeyValuePair<string, object?> ServerAddressTag { get; }

    public KeyValuePair<string, object?> ServerPortTag { get; }

    /// <summary>Gets or sets how the limit is known (pool lock).</summary>
    public CapacitySource Source { get; set; } = CapacitySource.Unknown;

    /// <summary>Gets or sets a value indicating whether its <c>/props</c> did not answer and is to be asked again (pool lock).</summary>
    public bool PropsPending { get; set; }

    /// <summary>Gets or sets the requests it takes at once now (pool lock).</summary>
    public int Limit { get; set; }

    /// <summary>Gets or sets the most <see cref="Limit"/> may become: the batch bound counts on it (pool lock).</summary>
    public int Ceiling { get; set; }

    /// <summary>Gets or sets the requests sent to it and not yet answered (pool lock).</summary>
    public int InUse { get; set; }

    /// <summary>Gets or sets a value indicating whether it is in the rotation (pool lock).</summary>
    public bool IsUp { get; set; } = true;

    /// <summary>Gets or sets the server errors (5xx) in a row, which take it out of the rotation at three (pool lock).</summary>
    public int ServerErrorsInARow { get; set; }

    /// <summary>Gets or sets the latency-based limit, for a server that does not say how many slots it has (pool lock).</summary>
    public AdaptiveLimit? Adaptive { get; set; }

    /// <summary>Gets or sets the look-up of its limit, while one runs or after it ended (pool lock).</summary>
    public Task? LookUp { get; set; }

    /// <summary>Gets or sets the health probe running while it is out of the rotation (pool lock).</summary>
    public Task? Probe { get; set; }

    /// <summary>Gets the attempts sent to it.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Gets the attempts that got no usable answer from it.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The absolute address of a path on this server, such as <c>/v1/completions</c> (built once a path).</summary>
    public Uri UriOf(string path) => _uris.GetOrAdd(path, static (path, baseAddress) => new Uri(baseAddress, path.TrimStart('/')), BaseAddress);

    public void CountRequest() => Interlocked.Increment(ref _requests);

    public void CountFailure() => Interlocked.Increment(ref _failures);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Display} ({InUse}/{Limit}, {(IsUp ? "up" : "down")})");
}
