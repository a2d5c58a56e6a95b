using System.Text.Json;

namespace LocalBatch.Gateway.Internal;

/// <summary>Fields read from a raw JSON body (a Batch API line's request or answer) without deserializing it.</summary>
internal static class RawBody
{
    /// <summary>A string property of an object body, or <see langword="null"/>.</summary>
    public static string? StringOf(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>The <c>usage</c> of an answer, when it has one with numbers.</summary>
    public static Usage? UsageOf(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return new Usage
        {
            PromptTokens = Count(usage, "prompt_tokens"),
            CompletionTokens = Count(usage, "completion_tokens"),
            TotalTokens = Count(usage, "total_tokens"),
        };

        static int Count(JsonElement usage, string name) =>
            usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) ? count : 0;
    }
}
