using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>The breakdown of a batch's prompt tokens.</summary>
/// <param name="CachedTokens">
/// The prompt tokens the server reused from its prompt cache (llama.cpp's <c>prompt_tokens_details.cached_tokens</c>).
/// </param>
public sealed record BatchInputTokensDetails(
    [property: JsonPropertyName("cached_tokens")] long CachedTokens);
