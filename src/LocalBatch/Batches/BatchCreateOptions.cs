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
    /// Gets earlier batches of the same store whose answers the new batch takes instead of sending the requests again:
    /// every line of the new input that is byte for byte a line of one of them (the same <c>custom_id</c> and the same
    /// request) and that was answered there with a 2xx gets that answer, copied into the new batch's output file as it
    /// was written; every other line (new, edited, or failed before) is sent. Each <c>custom_id</c> is answered once:
    /// from the first of these batches that answered it, or by the server.
    /// </summary>
    /// <remarks>
    /// Such as a run of an edited file after an earlier run of it (or its retries); the batches may have ended or not
    /// (their whole lines so far are read). How many answers were taken is
    /// <see cref="BatchRequestCounts.Reused"/>, counted in <see cref="BatchRequestCounts.Completed"/> from the start.
    /// Memory: 16 bytes a line of the new input and 20 a reused line, whatever the lines' size.
    /// </remarks>
    /// <value>The default is <see langword="null"/>: every request is sent.</value>
    public IReadOnlyList<string>? ReuseAnswersFrom { get; init; }

    /// <summary>
    /// Gets the most requests this batch may have, in place of <see cref="BatchJobManagerOptions.MaxLinesPerBatch"/>
    /// (such as Anthropic's 100,000 for a message batch where OpenAI's batches keep their 50,000).
    /// </summary>
    /// <value>The default is <see langword="null"/>: <see cref="BatchJobManagerOptions.MaxLinesPerBatch"/>.</value>
    public int? MaxRequests { get; init; }

    /// <summary>
    /// Gets who the batch belongs to, such as the name of the API key that created it through <c>localbatch serve</c>;
    /// kept with the batch's state (it survives restarts) and shown as <see cref="BatchJob.Owner"/>. 1 to 64 characters,
    /// none of them a control character.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the batch belongs to nobody in particular.</value>
    public string? Owner { get; init; }
}
