using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>One page of batches, newest first: <c>{"object": "list", "data", "first_id", "last_id", "has_more"}</c>.</summary>
/// <param name="Data">The batches on this page.</param>
/// <param name="FirstId">The id of the first batch on the page.</param>
/// <param name="LastId">The id of the last batch on the page; pass it as <c>after</c> for the next page.</param>
/// <param name="HasMore">Whether older batches follow.</param>
public sealed record BatchPage(
    [property: JsonPropertyName("data")] IReadOnlyList<BatchJob> Data,
    [property: JsonPropertyName("first_id"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FirstId,
    [property: JsonPropertyName("last_id"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? LastId,
    [property: JsonPropertyName("has_more")] bool HasMore)
{
    /// <summary>Gets the object type, <c>list</c>.</summary>
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object { get; init; } = "list";
}
