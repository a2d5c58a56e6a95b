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

    /// <summary>The <c>usage</c> of an answer, when it has one, in the shape of its endpoint (see <see cref="RawTokens"/>).</summary>
    public static Usage? UsageOf(JsonElement body)
    {
        if (RawTokens.Of(body) is not { } tokens)
        {
            return null;
        }

        return new Usage
        {
            PromptTokens = Clamp(tokens.Input),
            CompletionTokens = Clamp(tokens.Output),
            TotalTokens = Clamp(tokens.Input + tokens.Output),
        };

        static int Clamp(long count) => (int)Math.Min(count, int.MaxValue);
    }
}
