namespace LocalBatch.Testing.Internal;

/// <summary>A complete, buffered answer of the simulated gateway.</summary>
internal sealed record GatewayResponse(int StatusCode, byte[] Body, string ContentType = GatewayResponse.JsonContentType)
{
    /// <summary>The content type llama-server sends with JSON.</summary>
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>The content type of streamed answers.</summary>
    public const string EventStreamContentType = "text/event-stream";

    /// <summary>Gets the value of the <c>Retry-After</c> header in seconds, if any.</summary>
    public long? RetryAfterSeconds { get; init; }

    public bool IsSuccess => StatusCode is >= 200 and < 300;
}
