using System.Globalization;
using System.Text;

namespace LocalBatch.Testing.Internal;

/// <summary>
/// llama-server's views of its load: <c>GET /slots</c> (on unless <c>--no-slots</c>) and <c>GET /metrics</c> (with
/// <c>--metrics</c>), in the shapes the real server answers (trimmed to the fields that matter).
/// </summary>
internal static class LoadResponses
{
    public const string SlotsNotSupported = "This server does not support slots endpoint. Start it with `--slots`";

    public const string MetricsNotSupported = "This server does not support metrics endpoint. Start it with `--metrics`";

    /// <summary>
    /// Each slot: its id, context, whether it is processing, and its current or last task with the task's params (absent
    /// before its first; of the params, only <c>timings_per_token</c>).
    /// </summary>
    public static GatewayResponse Slots(SlotsSnapshot slots, int contextSize) =>
        new(200, JsonBuffer.Write((slots, contextSize), static (w, s) =>
        {
            w.WriteStartArray();
            for (var slot = 0; slot < s.slots.Busy.Length; slot++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", slot);
                w.WriteNumber("n_ctx", s.contextSize);
                w.WriteBoolean("speculative", false);
                w.WriteBoolean("is_processing", s.slots.Busy[slot]);
                if (s.slots.Tasks[slot] is { } task)
                {
                    w.WriteNumber("id_task", task);
                    w.WriteStartObject("params");
                    w.WriteBoolean("timings_per_token", s.slots.TimingsPerToken[slot]);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));

    /// <summary>The Prometheus text of llama-server's gauges of requests: those in slots and those waiting for one.</summary>
    public static GatewayResponse Metrics(int processing, int deferred)
    {
        var text = new StringBuilder()
            .Append("# HELP llamacpp:requests_processing Number of requests processing.\n")
            .Append("# TYPE llamacpp:requests_processing gauge\n")
            .Append(CultureInfo.InvariantCulture, $"llamacpp:requests_processing {processing}\n")
            .Append("# HELP llamacpp:requests_deferred Number of requests deferred.\n")
            .Append("# TYPE llamacpp:requests_deferred gauge\n")
            .Append(CultureInfo.InvariantCulture, $"llamacpp:requests_deferred {deferred}\n");
        return new GatewayResponse(200, Encoding.UTF8.GetBytes(text.ToString()), "text/plain; version=0.0.4");
    }
}
