using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Gateway.Internal;

namespace LocalBatch;

/// <summary>The vector of one input.</summary>
public sealed record EmbeddingData
{
    /// <summary>Gets the position of the input this vector belongs to.</summary>
    [JsonPropertyName("index")]
    public int Index { get; init; }

    /// <summary>Gets the object type, <c>embedding</c>.</summary>
    [JsonPropertyName("object")]
    public string? Object { get; init; }

    /// <summary>Gets the vector. Read from a JSON array of numbers or from a base64 string of little-endian float32.</summary>
    [JsonPropertyName("embedding")]
    [JsonConverter(typeof(EmbeddingVectorConverter))]
    public float[] Embedding { get; init; } = [];

    /// <summary>Gets any other fields.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
