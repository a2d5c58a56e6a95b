using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LocalBatch.Testing;

namespace LocalBatch.Benchmarks;

/// <summary>
/// Batches as background work: a light interactive stream (a 24-token chat every 0.25 s, sent straight to the server
/// by another client, seen by LocalBatch only through <c>/slots</c>) while a batch of 256-token completions runs. Each
/// reported as ratios in one run: the stream's p95 during the batch against the stream alone, and the batch's rate
/// against the batch alone; with batches in the background (the default) and in the foreground (as before).
/// </summary>
internal static class InteractiveBenchmark
{
    private const int BatchTokens = 256;
    private const int ChatTokens = 24;
    private static readonly TimeSpan ChatEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs on the simulated server's three profiles, or on the llama-server at <paramref name="server"/>.</summary>
    public static async Task RunAsync(Uri? server, int? requests)
    {
        if (server is not null)
        {
            await MeasureAsync(Invariant($"llama-server at {server}"), server, requests ?? 300, rounds: 3);
            return;
        }

        var perToken = TimeSpan.FromMilliseconds(0.3);
        (string Name, int Slots, TimeSpan Shared, int Requests)[] profiles =
        [
            ("simulated CPU server: 4 slots, decode steps shared (+0.21 ms a token for each other busy slot)", 4, TimeSpan.FromMilliseconds(0.21), 240),
            ("simulated GPU-like server: 4 slots, each decoding alone", 4, TimeSpan.Zero, 600),
            ("simulated GPU-like server: 16 slots, each decoding alone", 16, TimeSpan.Zero, 2400),
        ];
        foreach (var (name, slots, shared, count) in profiles)
        {
            await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
            {
                Slots = slots,
                Latency = TimeSpan.FromMilliseconds(2),
                LatencyPerToken = perToken,
                LatencyPerTokenPerBusySlot = shared,
                ContextSize = 4096,
            });
            await MeasureAsync(name, gateway.Endpoint, requests ?? count, rounds: 2);
        }
    }

    /// <summary>
    /// Measures the stream alone and the batch alone, in the foreground and the background, and both together: in
    /// <paramref name="rounds"/> rounds, every other one in reverse order, so that a server that slows as its prompt
    /// cache fills (llama-server's <c>--cache-ram</c>) or a noisy neighbour weighs on every run alike. Rates are the
    /// rounds' medians; percentiles are of every round's latencies together.
    /// </summary>
    private static async Task MeasureAsync(string name, Uri server, int requests, int rounds)
    {
        Console.WriteLine(Invariant($"{name} ({rounds} round{(rounds == 1 ? string.Empty : "s")})"));
        using var http = new HttpClient { BaseAddress = server };
        await ChatAsync(http);
        await BatchAsync(server, Math.Min(requests, 40), BatchPriority.Foreground, http, stream: false, quiet: true);

        List<double> idle = [];
        (BatchPriority Priority, bool Stream)[] runs =
        [
            (BatchPriority.Foreground, false), (BatchPriority.Background, false), (BatchPriority.Foreground, true), (BatchPriority.Background, true),
        ];
        var rates = runs.Select(static _ => new List<double>()).ToArray();
        var latencies = runs.Select(static _ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            idle.AddRange(await StreamAsync(http, TimeSpan.FromSeconds(8), new TaskCompletionSource().Task));
            foreach (var i in round % 2 == 0 ? [0, 1, 2, 3] : new[] { 3, 2, 1, 0 })
            {
                var run = await BatchAsync(server, requests, runs[i].Priority, http, runs[i].Stream);
                rates[i].Add(run.Rate);
                latencies[i].AddRange(run.Latencies);
            }
        }

        var alone = Stats.Median(rates[0]);
        var idleP95 = Stats.Percentile(idle, 0.95);
        Console.WriteLine(Invariant($"  stream alone: p50 {Stats.Percentile(idle, 0.5):0.0} ms, p95 {idleP95:0.0} ms; batch alone {alone:0.0} req/s (rounds: {string.Join(", ", rates[0].Select(static r => r.ToString("0.0", CultureInfo.InvariantCulture)))})"));
        Console.WriteLine(Invariant($"  batch alone in the background: {Stats.Median(rates[1]):0.0} req/s = {Stats.Median(rates[1]) / alone:0.000} of the foreground"));
        foreach (var (label, i) in new[] { ("foreground (as before)", 2), ("background (default)", 3) })
        {
            var p95 = Stats.Percentile(latencies[i], 0.95);
            Console.WriteLine(Invariant($"  with the stream, batch in the {label}: stream p50 {Stats.Percentile(latencies[i], 0.5):0.0} ms, p95 {p95:0.0} ms = {p95 / idleP95:0.00}x idle; batch {Stats.Median(rates[i]):0.0} req/s = {Stats.Median(rates[i]) / alone:0.000} of alone"));
        }
    }

    private static async Task<(double Rate, List<double> Latencies)> BatchAsync(Uri server, int requests, BatchPriority priority, HttpClient http, bool stream, bool quiet = false)
    {
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = server, BatchPriority = priority });
        var options = new CompletionOptions
        {
            MaxTokens = BatchTokens,
            AdditionalProperties = new Dictionary<string, JsonElement> { ["ignore_eos"] = JsonSerializer.SerializeToElement(true) },
        };
        await processor.GetConcurrencyAsync();
        var started = Stopwatch.GetTimestamp();
        var batch = processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, requests).Select(i => Invariant($"Write a story about dog number {i}")), options);
        var watch = WatchReserveAsync(processor.Client, batch);
        var latencies = stream ? await StreamAsync(http, Timeout.InfiniteTimeSpan, batch) : [];
        var results = await batch;
        var seen = await watch;
        if (!quiet)
        {
            Console.WriteLine(Invariant($"  ({priority}{(stream ? " with the stream" : string.Empty)}: slots kept free {seen.Share:P0} of the time; on average {seen.InFlight:0.00} batch requests in flight, {seen.Reserved:0.00} slots kept free, {seen.Interactive:0.00} interactive seen)"));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        if (results.Any(static result => !result.IsSuccess))
        {
            throw new InvalidOperationException("A batch request failed.");
        }

        return (requests / elapsed.TotalSeconds, latencies);
    }

    /// <summary>The share of the batch's time that the client kept slots free for people (sampled every 20 ms).</summary>
    private static async Task<(double Share, double InFlight, double Reserved, double Interactive)> WatchReserveAsync(LocalGatewayClient client, Task until)
    {
        var (samples, yielding, inFlight, reserved, interactive) = (0, 0, 0L, 0L, 0L);
        while (!until.IsCompleted)
        {
            samples++;
            var servers = client.GetServers();
            yielding += servers.Any(static server => server.Reserved > 0) ? 1 : 0;
            inFlight += servers.Sum(static server => server.InFlight);
            reserved += servers.Sum(static server => server.Reserved);
            interactive += servers.Sum(static server => server.Interactive);
            await Task.WhenAny(Task.Delay(20), until);
        }

        var n = Math.Max(1, samples);
        return (yielding / (double)n, inFlight / (double)n, reserved / (double)n, interactive / (double)n);
    }

    /// <summary>Sends a chat every <see cref="ChatEvery"/>, on schedule, for <paramref name="duration"/> or until <paramref name="until"/> ends.</summary>
    internal static async Task<List<double>> StreamAsync(HttpClient http, TimeSpan duration, Task until)
    {
        var latencies = new List<double>();
        var sent = new List<Task<double>>();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; ; i++)
        {
            var due = ChatEvery * i;
            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.Delay(wait), until);
            }

            if (until.IsCompleted || (duration != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(started) >= duration))
            {
                break;
            }

            sent.Add(ChatAsync(http));
        }

        latencies.AddRange(await Task.WhenAll(sent));
        return latencies;
    }

    internal static async Task<double> ChatAsync(HttpClient http)
    {
        var body = Invariant($$"""{"messages":[{"role":"user","content":"Say hello"}],"max_tokens":{{ChatTokens}},"ignore_eos":true}""");
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync("/v1/chat/completions", content);
        await response.Content.ReadAsByteArrayAsync();
        response.EnsureSuccessStatusCode();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }


    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
