using System.Text.Json.Serialization;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>
/// Anthropic's Message Batch object, field for field: <c>{"id": "msgbatch_…", "type": "message_batch",
/// "processing_status", "request_counts", "ended_at", "created_at", "expires_at", "archived_at",
/// "cancel_initiated_at", "results_url"}</c>, times as RFC 3339 strings (null until they happen).
/// </summary>
/// <param name="Id">The batch's id, <c>msgbatch_…</c>.</param>
/// <param name="ProcessingStatus"><c>in_progress</c>, <c>canceling</c> or <c>ended</c>.</param>
/// <param name="RequestCounts">The requests by how they stand.</param>
/// <param name="EndedAt">When processing ended.</param>
/// <param name="CreatedAt">When the batch was created.</param>
/// <param name="ExpiresAt">When the batch expires unless it has ended: 24 hours after its creation.</param>
/// <param name="CancelInitiatedAt">When a cancellation was asked for.</param>
/// <param name="ResultsUrl">Where the results are, once processing has ended.</param>
internal sealed record MessageBatch(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("processing_status")] string ProcessingStatus,
    [property: JsonPropertyName("request_counts")] MessageBatchRequestCounts RequestCounts,
    [property: JsonPropertyName("ended_at")] string? EndedAt,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("expires_at")] string? ExpiresAt,
    [property: JsonPropertyName("cancel_initiated_at")] string? CancelInitiatedAt,
    [property: JsonPropertyName("results_url")] string? ResultsUrl)
{
    /// <summary>Gets the object type: always <c>message_batch</c>.</summary>
    [JsonPropertyName("type")]
    public string Type => "message_batch";

    /// <summary>Gets when the batch was archived: never here (always <see langword="null"/>).</summary>
    [JsonPropertyName("archived_at")]
    public string? ArchivedAt => null;

    /// <summary>Gets the name of the key that created the batch: shown only to admin keys, as an extra field SDKs ignore.</summary>
    [JsonPropertyName("owner")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Owner { get; init; }
}
