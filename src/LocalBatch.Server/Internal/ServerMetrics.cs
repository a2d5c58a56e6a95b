using System.Diagnostics.Metrics;
using LocalBatch.Batches;
using LocalBatch.Server.Routing.Internal;

namespace LocalBatch.Server.Internal;

/// <summary>
/// The server's own instruments on the <c>LocalBatch</c> meter, beside the library's request counters: gauges read from
/// the store when metrics are collected — <c>localbatch.batches</c> (batches by <c>localbatch.batch.status</c>), and,
/// per batch owner, <c>localbatch.batch.requests</c> (requests done, by <c>localbatch.request.outcome</c>) and
/// <c>localbatch.batch.tokens</c> (by <c>localbatch.token.type</c>), each tagged <c>localbatch.owner</c> when the batch
/// has one. Gauges, not counters: they count what the store holds, and batches leave it (deleted, retention). One
/// collection reads the store once for all three (a snapshot is kept for a second).
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    private static readonly TimeSpan s_snapshotLifetime = TimeSpan.FromSeconds(1);

    private readonly BatchJobManager _batches;
    private readonly TimeProvider _time;
    private readonly Meter? _ownMeter;
    private readonly Lock _gate = new();
    private (long Taken, Snapshot Value)? _snapshot;

    public ServerMetrics(BatchJobManager batches, TimeProvider time, IMeterFactory? meterFactory)
    {
        _batches = batches;
        _time = time;
        Meter meter;
        if (meterFactory is null)
        {
            meter = _ownMeter = new Meter(OperatorRoutes.MeterName);
        }
        else
        {
            meter = meterFactory.Create(OperatorRoutes.MeterName);
        }

        meter.CreateObservableGauge("localbatch.batches", () => Take().Batches, "{batch}", "Batches in the store, tagged localbatch.batch.status and localbatch.owner.");
        meter.CreateObservableGauge("localbatch.batch.requests", () => Take().Requests, "{request}", "Requests done by the batches in the store, tagged localbatch.owner and localbatch.request.outcome (completed, failed).");
        meter.CreateObservableGauge("localbatch.batch.tokens", () => Take().Tokens, "{token}", "Tokens used by the batches in the store, tagged localbatch.owner and localbatch.token.type (prompt, completion).");
    }

    public void Dispose() => _ownMeter?.Dispose();

    private Snapshot Take()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_snapshot is { } kept && _time.GetElapsedTime(kept.Taken, now) < s_snapshotLifetime)
            {
                return kept.Value;
            }

            var value = Snapshot.Of(_batches.ListAllAsync().ToBlockingEnumerable());
            _snapshot = (now, value);
            return value;
        }
    }

    private sealed record Snapshot(List<Measurement<long>> Batches, List<Measurement<long>> Requests, List<Measurement<long>> Tokens)
    {
        public static Snapshot Of(IEnumerable<BatchJob> jobs)
        {
            var batches = new Dictionary<(string Status, string? Owner), long>();
            var requests = new Dictionary<(string Outcome, string? Owner), long>();
            var tokens = new Dictionary<(string Type, string? Owner), long>();
            foreach (var job in jobs)
            {
                Add(batches, (job.Status.ToWireName(), job.Owner), 1);
                Add(requests, ("completed", job.Owner), job.RequestCounts.Completed);
                Add(requests, ("failed", job.Owner), job.RequestCounts.Failed);
                Add(tokens, ("prompt", job.Owner), job.Usage?.InputTokens ?? 0);
                Add(tokens, ("completion", job.Owner), job.Usage?.OutputTokens ?? 0);
            }

            return new Snapshot(
                [.. batches.Select(pair => Measure(pair.Value, "localbatch.batch.status", pair.Key.Status, pair.Key.Owner))],
                [.. requests.Select(pair => Measure(pair.Value, "localbatch.request.outcome", pair.Key.Outcome, pair.Key.Owner))],
                [.. tokens.Select(pair => Measure(pair.Value, "localbatch.token.type", pair.Key.Type, pair.Key.Owner))]);
        }

        private static void Add<TKey>(Dictionary<TKey, long> counts, TKey key, long value)
            where TKey : notnull => counts[key] = counts.GetValueOrDefault(key) + value;

        private static Measurement<long> Measure(long value, string tag, string tagValue, string? owner) => owner is null
            ? new Measurement<long>(value, new KeyValuePair<string, object?>(tag, tagValue))
            : new Measurement<long>(value, new KeyValuePair<string, object?>(tag, tagValue), new KeyValuePair<string, object?>("localbatch.owner", owner));
    }
}
