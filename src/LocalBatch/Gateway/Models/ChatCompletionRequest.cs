using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>A request to <c>/v1/chat/completions</c>: answer a conversation.</summary>
/// <remarks>Unknown fields (llama.cpp sampling settings, <c>response_format</c>, <c>tools</c>, …) go in <see cref="AdditionalProperties"/>.</remarks>
public sealed record ChatCompletionRequest
{
    /// <summary>Gets the model name; <see langword="null"/> uses <see cref="LocalBatchOptions.DefaultModel"/>.</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>Gets the conversation so far.</summary>
    [JsonPropertyName("messages")]
    public required IReadOnlyList<ChatCompletionMessage> Messages { get; init; }

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

    /// <summary>Gets any other fields, sent as they are.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
