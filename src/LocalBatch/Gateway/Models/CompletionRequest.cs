using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>A request to <c>/v1/completions</c>: continue a raw prompt.</summary>
/// <remarks>
/// Fields llama.cpp adds to the OpenAI shape (<c>top_k</c>, <c>min_p</c>, <c>grammar</c>,
/// <c>json_schema</c>, <c>cache_prompt</c>, <c>n_probs</c>, …) go in <see cref="AdditionalProperties"/>
/// and are sent untouched.
/// </remarks>
public sealed record CompletionRequest
{
    /// <summary>Gets the model name; <see langword="null"/> uses <see cref="LocalBatchOptions.DefaultModel"/>.</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>Gets the prompt to continue.</summary>
    [JsonPropertyName("prompt")]
    public required string Prompt { get; init; }

    /// <summary>Gets the most tokens to generate, or <see langword="null"/> for the server's default.</summary>
    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; init; }

    /// <summary>Gets the sampling temperature.</summary>
    [JsonPropertyName("temperature")]
    public double? Temperature { get; init; }

    /// <summary>Gets the nucleus-sampling probability mass.</summary>
    [JsonPropertyName("top_p")]
    public double? TopP { get; init; }

    /// <summary>Gets the sequences that stop generation.</summary>
    [JsonPropertyName("stop")]
    public IReadOnlyList<string>? Stop { get; init; }

    /// <summary>Gets the sampling seed, for repeatable output.</summary>
    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    /// <summary>Gets any other fields, sent as they are (llama.cpp's own sampling settings, for example).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
