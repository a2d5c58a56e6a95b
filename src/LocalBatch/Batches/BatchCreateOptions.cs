namespace LocalBatch.Batches;

/// <summary>Settings of one new batch.</summary>
public sealed record BatchCreateOptions
{
    /// <summary>Gets the completion window; only <c>24h</c> is accepted, as with OpenAI.</summary>
    /// <value>The default is <c>24h</c>.</value>
    public string CompletionWindow { get; init; } = "24h";

    /// <summary>Gets up to 16 key-value pairs to attach (keys up to 64 characters, values up to 512).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
