using System.Text.Json;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// The mark that tells this client's batch requests from other clients' in llama-server's <c>/slots</c>. Each slot
/// shows the sampling parameters of its current or last task, among them <c>timings_per_token</c>, which changes
/// nothing in an answer that is not streamed (it adds timings to streamed chunks only). A batch request sent to a server
/// whose <c>/slots</c> shows it carries <c>"timings_per_token": true</c> (added by <see cref="PlacedBody"/>), so that a
/// slot running or having run a task without it is another client's, even one that started and ended between two looks.
/// </summary>
/// <remarks>
/// llama-server keeps the field for chat completions, completions and responses (measured); not for Anthropic
/// messages, nor for embeddings, whose requests are counted as unmarked ones this client knows of.
/// </remarks>
internal static class OwnRequestMark
{
    /// <summary>The parameter that marks a request, as <c>/slots</c> shows it in each slot's <c>params</c>.</summary>
    public const string Property = "timings_per_token";

    /// <summary>Whether a slot of <c>/slots</c> shows a task's parameters with the field at all, and whether its task carried the mark.</summary>
    public static (bool Shown, bool Marked) Of(JsonElement slot) =>
        slot.TryGetProperty("params", out var parameters) && parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty(Property, out var mark)
            ? (true, mark.ValueKind == JsonValueKind.True)
            : (false, false);
}
