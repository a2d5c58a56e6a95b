using System.Text.Json;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// The token counts of one answer's <c>usage</c>, read from its raw body in whichever shape its endpoint answers with:
/// completions' and chat's (<c>prompt_tokens</c>, <c>completion_tokens</c>, <c>prompt_tokens_details.cached_tokens</c>,
/// <c>completion_tokens_details.reasoning_tokens</c>), responses' (<c>input_tokens</c>, <c>output_tokens</c>,
/// <c>input_tokens_details.cached_tokens</c>, <c>output_tokens_details.reasoning_tokens</c>) or Anthropic messages'
/// (<c>input_tokens</c> counts only the prompt tokens not read from or written to the cache: the prompt is their sum
/// with <c>cache_read_input_tokens</c> and <c>cache_creation_input_tokens</c>, and the cached part is the first).
/// </summary>
/// <param name="Input">The prompt tokens, cached ones included.</param>
/// <param name="Output">The generated tokens.</param>
/// <param name="Cached">The prompt tokens the server reused from its prompt cache.</param>
/// <param name="Reasoning">The generated tokens spent on reasoning.</param>
internal readonly record struct RawTokens(long Input, long Output, long Cached, long Reasoning)
{
    /// <summary>The counts of an answer's <c>usage</c>, or <see langword="null"/> when it has none.</summary>
    public static RawTokens? Of(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (usage.TryGetProperty("prompt_tokens", out _) || usage.TryGetProperty("completion_tokens", out _))
        {
            return new RawTokens(
                Count(usage, "prompt_tokens"),
                Count(usage, "completion_tokens"),
                Count(usage, "prompt_tokens_details", "cached_tokens"),
                Count(usage, "completion_tokens_details", "reasoning_tokens"));
        }

        var cacheRead = Count(usage, "cache_read_input_tokens");
        return new RawTokens(
            Count(usage, "input_tokens") + cacheRead + Count(usage, "cache_creation_input_tokens"),
            Count(usage, "output_tokens"),
            Count(usage, "input_tokens_details", "cached_tokens") + cacheRead,
            Count(usage, "output_tokens_details", "reasoning_tokens"));
    }

    private static long Count(JsonElement usage, string name, string? detail = null)
    {
        if (!usage.TryGetProperty(name, out var value))
        {
            return 0;
        }

        if (detail is not null && (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(detail, out value)))
        {
            return 0;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number > 0 ? number : 0;
    }
}
