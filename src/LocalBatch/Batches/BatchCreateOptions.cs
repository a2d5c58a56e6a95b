namespace LocalBatch.Batches;

/// <summary>Settings of one new batch.</summary>
public sealed record BatchCreateOptions
{
    /// <summary>Gets the completion window; only <c>24h</c> is accepted, as with OpenAI.</summary>
    /// <value>The default is <c>24h</c>.</value>
    public string CompletionWindow { get; init; } = "24h";

    /// <summary>Gets up to 16 key-value pairs to attach (keys up to 64 characters, values up to 512).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// Gets the id recorded as the batch's <c>input_file_id</c>, such as that of a file uploaded through a Files API;
    /// letters, digits, <c>-</c> and <c>_</c>, at most 128.
    /// </summary>
    /// <value>The default is <see langword="null"/>: an id derived from the batch's own (<c>file-…-input</c>).</value>
    public string? InputFileId { get; init; }

    /// <summary>
    /// Gets the most requests this batch may have, in place of <see cref="BatchJobManagerOptions.MaxLinesPerBatch"/>
    /// (such as Anthropic's 100,000 for a message batch where OpenAI's batches keep their 50,000).
    /// </summary>
    /// <value>The default is <see langword="null"/>: <see cref="BatchJobManagerOptions.MaxLinesPerBatch"/>.</value>
    public int? MaxRequests { get; init; }
}
