using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>The answer of <c>/v1/models</c>.</summary>
public sealed record ModelList
{
    /// <summary>Gets the object type, <c>list</c>.</summary>
    [JsonPropertyName("object")]
    public string? Object { get; init; }

    /// <summary>Gets the models the server has loaded.</summary>
    [JsonPropertyName("data")]
    public IReadOnlyList<ModelInfo> Data { get; init; } = [];

    /// <summary>Gets any other fields (llama.cpp's <c>models</c> list, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
