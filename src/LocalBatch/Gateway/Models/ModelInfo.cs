using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>One model the server offers.</summary>
public sealed record ModelInfo
{
    /// <summary>Gets the model's id (for llama-server, the file name or alias).</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>Gets the object type, <c>model</c>.</summary>
    [JsonPropertyName("object")]
    public string? Object { get; init; }

    /// <summary>Gets when the model was loaded, in Unix seconds.</summary>
    [JsonPropertyName("created")]
    public long Created { get; init; }

    /// <summary>Gets the owner, <c>llamacpp</c> for llama-server.</summary>
    [JsonPropertyName("owned_by")]
    public string? OwnedBy { get; init; }

    /// <summary>Gets any other fields (llama.cpp's <c>meta</c> with <c>n_ctx</c>, <c>n_embd</c>, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
