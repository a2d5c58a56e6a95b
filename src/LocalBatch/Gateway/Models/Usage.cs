using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>Token counts of one answer.</summary>
public sealed record Usage
{
    /// <summary>Gets the tokens of the prompt.</summary>
    [JsonPropertyName("prompt_tokens")]
    public int PromptTokens { get; init; }

    /// <summary>Gets the tokens generated (0 for embeddings).</summary>
    [JsonPropertyName("completion_tokens")]
    public int CompletionTokens { get; init; }

    /// <summary>Gets the sum of prompt and generated tokens.</summary>
    [JsonPropertyName("total_tokens")]
    public int TotalTokens { get; init; }

    /// <summary>Gets any other fields (<c>prompt_tokens_details</c>, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
