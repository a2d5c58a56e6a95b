using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>The validation errors of a batch, as OpenAI lists them: <c>{"object": "list", "data": [...]}</c>.</summary>
/// <param name="Data">Every problem found, in line order.</param>
public sealed record BatchErrors([property: JsonPropertyName("data")] IReadOnlyList<BatchValidationError> Data)
{
    /// <summary>Gets the object type, <c>list</c>.</summary>
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object { get; init; } = "list";
}
