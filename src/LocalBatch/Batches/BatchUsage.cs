using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>Tokens used by the successful requests of a batch, in the shape of OpenAI's batch <c>usage</c>.</summary>
/// <param name="InputTokens">The prompt tokens.</param>
/// <param name="OutputTokens">The generated tokens.</param>
/// <param name="TotalTokens">Their sum.</param>
public sealed record BatchUsage(
    [property: JsonPropertyName("input_tokens"), JsonPropertyOrder(0)] long InputTokens,
    [property: JsonPropertyName("output_tokens"), JsonPropertyOrder(2)] long OutputTokens,
    [property: JsonPropertyName("total_tokens"), JsonPropertyOrder(4)] long TotalTokens)
{
    /// <summary>Gets the breakdown of the prompt tokens: how many the server took from its prompt cache.</summary>
    [JsonPropertyName("input_tokens_details")]
    [JsonPropertyOrder(1)]
    public BatchInputTokensDetails InputTokensDetails { get; init => field = value ?? new(0); } = new(0); // null from a state written before details existed

    /// <summary>Gets the breakdown of the generated tokens: how many were reasoning.</summary>
    [JsonPropertyName("output_tokens_details")]
    [JsonPropertyOrder(3)]
    public BatchOutputTokensDetails OutputTokensDetails { get; init => field = value ?? new(0); } = new(0);
}
