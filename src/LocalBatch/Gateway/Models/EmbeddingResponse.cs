using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>The answer of <c>/v1/embeddings</c>: one vector per input, in input order.</summary>
public sealed record EmbeddingResponse
{
    /// <summary>Gets the object type, <c>list</c>.</summary>
    [JsonPropertyName("object")]
    public string? Object { get; init; }

    /// <summary>Gets the model that answered.</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>Gets the vectors; <see cref="EmbeddingData.Index"/> is the input's position.</summary>
    [JsonPropertyName("data")]
    public IReadOnlyList<EmbeddingData> Data { get; init; } = [];

    /// <summary>Gets the token counts.</summary>
    [JsonPropertyName("usage")]
    public Usage? Usage { get; init; }

    /// <summary>Gets any other fields.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
