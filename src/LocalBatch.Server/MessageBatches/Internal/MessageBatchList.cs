using System.Text.Json.Serialization;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>A page of message batches, newest first: <c>{"data", "has_more", "first_id", "last_id"}</c>.</summary>
/// <param name="Data">The batches of the page.</param>
/// <param name="HasMore">Whether there are more in the direction the page was asked for.</param>
/// <param name="FirstId">The first batch's id (the <c>before_id</c> of the page before), or <see langword="null"/> for an empty page.</param>
/// <param name="LastId">The last batch's id (the <c>after_id</c> of the page after), or <see langword="null"/> for an empty page.</param>
internal sealed record MessageBatchList(
    [property: JsonPropertyName("data")] IReadOnlyList<MessageBatch> Data,
    [property: JsonPropertyName("has_more")] bool HasMore,
    [property: JsonPropertyName("first_id")] string? FirstId,
    [property: JsonPropertyName("last_id")] string? LastId);
