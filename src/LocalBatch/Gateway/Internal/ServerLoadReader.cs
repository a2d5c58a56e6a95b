using System.Globalization;
using System.Text.Json;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// Reads a server's load from llama-server's own answers: <c>GET /slots</c> (an array of slots, each with
/// <c>is_processing</c> and, once it ran a task, <c>id_task</c> and the task's <c>params</c>) and <c>GET /metrics</c> (Prometheus text with
/// <c>llamacpp:requests_processing</c> and <c>llamacpp:requests_deferred</c>).
/// </summary>
internal static class ServerLoadReader
{
    /// <summary>Reads a <c>/slots</c> answer.</summary>
    /// <exception cref="JsonException">The answer is not an array of slots.</exception>
    public static async Task<ServerLoad> ReadSlotsAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            return FromSlots(document.RootElement);
        }
    }

    /// <summary>Reads a <c>/metrics</c> answer.</summary>
    /// <exception cref="JsonException">The answer has neither gauge (not llama-server's metrics).</exception>
    public static async Task<ServerLoad> ReadMetricsAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return FromMetrics(text);
    }

    public static ServerLoad FromSlots(JsonElement slots)
    {
        if (slots.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("/slots did not answer an array of slots.");
        }

        var busy = 0;
        var showsMarks = false;
        var tasks = new long?[slots.GetArrayLength()];
        var index = 0;
        foreach (var slot in slots.EnumerateArray())
        {
            if (slot.ValueKind != JsonValueKind.Object || !slot.TryGetProperty("is_processing", out var processing)
                || processing.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new JsonException("A slot of /slots has no is_processing.");
            }

            // A slot running or having run one of this client's marked requests counts neither as busy nor as a task.
            var (shown, marked) = OwnRequestMark.Of(slot);
            showsMarks |= shown;
            busy += processing.GetBoolean() && !marked ? 1 : 0;
            tasks[index++] = !marked && slot.TryGetProperty("id_task", out var task) && task.TryGetInt64(out var id) ? id : null;
        }

        return new ServerLoad(busy, tasks, showsMarks);
    }

    public static ServerLoad FromMetrics(string text)
    {
        int? processing = null, deferred = null;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            processing ??= Gauge(line, "llamacpp:requests_processing");
            deferred ??= Gauge(line, "llamacpp:requests_deferred");
        }

        return processing is null && deferred is null
            ? throw new JsonException("/metrics has neither llamacpp:requests_processing nor llamacpp:requests_deferred.")
            : new ServerLoad((processing ?? 0) + (deferred ?? 0), TaskIds: null);
    }

    private static int? Gauge(ReadOnlySpan<char> line, string name)
    {
        if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not (' ' or '{'))
        {
            return null;
        }

        var value = line[(line.LastIndexOf(' ') + 1)..];
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? (int)Math.Max(0, number) : null;
    }
}
