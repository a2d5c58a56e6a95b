using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>A batch, shaped field for field like OpenAI's Batch object (snake_case, Unix-second timestamps).</summary>
/// <remarks>
/// Serialized with <see cref="System.Text.Json.JsonSerializer"/>, it gives OpenAI's JSON whatever the options: every
/// field is written, a null one as <c>null</c>, even when the options say to leave nulls out; LocalBatch's own
/// <c>waiting</c> is written only while the batch waits for its server.
/// </remarks>
public sealed record BatchJob
{
    /// <summary>Gets the batch id, <c>batch_…</c>.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>Gets the object type, <c>batch</c>.</summary>
    [JsonPropertyName("object")]
    public string Object { get; init; } = "batch";

    /// <summary>Gets the endpoint every request goes to: <c>/v1/completions</c>, <c>/v1/chat/completions</c> or <c>/v1/embeddings</c>.</summary>
    [JsonPropertyName("endpoint")]
    public required string Endpoint { get; init; }

    /// <summary>Gets the validation errors, or <see langword="null"/> when the input was valid.</summary>
    [JsonPropertyName("errors")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public BatchErrors? Errors { get; init; }

    /// <summary>Gets the id of the stored input file.</summary>
    [JsonPropertyName("input_file_id")]
    public required string InputFileId { get; init; }

    /// <summary>Gets the time the batch has to finish, <c>24h</c>.</summary>
    [JsonPropertyName("completion_window")]
    public string CompletionWindow { get; init; } = "24h";

    /// <summary>Gets the status.</summary>
    [JsonPropertyName("status")]
    public BatchStatus Status { get; init; }

    /// <summary>Gets the id of the output file (2xx answers), once there is one.</summary>
    [JsonPropertyName("output_file_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? OutputFileId { get; init; }

    /// <summary>Gets the id of the error file (everything else), once there is one.</summary>
    [JsonPropertyName("error_file_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? ErrorFileId { get; init; }

    /// <summary>Gets when the batch was created, in Unix seconds.</summary>
    [JsonPropertyName("created_at")]
    public long CreatedAt { get; init; }

    /// <summary>Gets when sending started, in Unix seconds.</summary>
    [JsonPropertyName("in_progress_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? InProgressAt { get; init; }

    /// <summary>Gets when the completion window ends, in Unix seconds.</summary>
    [JsonPropertyName("expires_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? ExpiresAt { get; init; }

    /// <summary>Gets when finalizing started, in Unix seconds.</summary>
    [JsonPropertyName("finalizing_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? FinalizingAt { get; init; }

    /// <summary>Gets when the batch completed, in Unix seconds.</summary>
    [JsonPropertyName("completed_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? CompletedAt { get; init; }

    /// <summary>Gets when the batch failed validation, in Unix seconds.</summary>
    [JsonPropertyName("failed_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? FailedAt { get; init; }

    /// <summary>Gets when the batch expired, in Unix seconds.</summary>
    [JsonPropertyName("expired_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? ExpiredAt { get; init; }

    /// <summary>Gets when cancellation was asked for, in Unix seconds.</summary>
    [JsonPropertyName("cancelling_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? CancellingAt { get; init; }

    /// <summary>Gets when the batch was cancelled, in Unix seconds.</summary>
    [JsonPropertyName("cancelled_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? CancelledAt { get; init; }

    /// <summary>Gets the request counts.</summary>
    [JsonPropertyName("request_counts")]
    public BatchRequestCounts RequestCounts { get; init; } = new(0, 0, 0);

    /// <summary>Gets up to 16 key-value pairs the creator attached.</summary>
    [JsonPropertyName("metadata")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Gets the tokens used by the successful requests so far.</summary>
    [JsonPropertyName("usage")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public BatchUsage? Usage { get; init; }

    /// <summary>
    /// Gets why the batch makes no progress now: its server does not answer, loads its model, fails every request or
    /// refused the key. Not one of OpenAI's fields: written only while there is a reason.
    /// </summary>
    /// <value>The reason, or <see langword="null"/> while the batch runs normally or has ended.</value>
    [JsonPropertyName("waiting")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BatchWaiting? Waiting { get; init; }

    /// <summary>
    /// Gets who the batch belongs to (<see cref="BatchCreateOptions.Owner"/>), such as the name of the key that created it
    /// through <c>localbatch serve</c>. Not one of OpenAI's fields: written only when there is an owner.
    /// </summary>
    /// <value>The owner, or <see langword="null"/> when the batch was created without one.</value>
    [JsonPropertyName("owner")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Owner { get; init; }

    /// <summary>Gets a value indicating whether the batch has reached an end state (completed, failed, expired or cancelled).</summary>
    [JsonIgnore]
    public bool IsTerminal => Status is BatchStatus.Completed or BatchStatus.Failed or BatchStatus.Expired or BatchStatus.Cancelled;
}
