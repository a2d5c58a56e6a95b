using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>Tokens used by the successful requests of a batch.</summary>
/// <param name="InputTokens">The prompt tokens.</param>
/// <param name="OutputTokens">The generated tokens.</param>
/// <param name="TotalTokens">Their sum.</param>
public sealed record BatchUsage(
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("total_tokens")] long TotalTokens);
