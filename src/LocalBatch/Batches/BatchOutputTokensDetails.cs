using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>The breakdown of a batch's generated tokens.</summary>
/// <param name="ReasoningTokens">
/// The generated tokens spent on reasoning (<c>completion_tokens_details.reasoning_tokens</c>, when the server reports it).
/// </param>
public sealed record BatchOutputTokensDetails(
    [property: JsonPropertyName("reasoning_tokens")] long ReasoningTokens);
