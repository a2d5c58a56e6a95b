using System.Globalization;
using LocalBatch.Testing;
using static System.FormattableString;

namespace LocalBatch.Benchmarks;

/// <summary>
/// The simulated gateway's prompt cache model against a real llama-server: issue 13's workload (24 documents × 8
/// questions, 4 slots) in four orders, requests a second and the share of prompt tokens served from the cache, on the
/// real server (when its URL is given) and on the simulator set to mimic it. The simulator's costs are calibrated on
/// the real server first (its own <c>timings</c> for uncached requests one at a time), or, without a URL, are the
/// values measured on the rig's CPU server.
/// </summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project bench/LocalBatch.Benchmarks promptcache [URL] [--host-cache-tokens N] [--order I] [--rounds N]</c>
/// (<c>--order</c>: only the I-th order, 0 to 3, e.g. on a freshly started server for each; <c>--rounds</c>: runs of
/// each order, alternating, default 2).
/// Start the real server with 4 slots, e.g. <c>~/llama-rig/start.sh 18080 4 --cache-ram 0</c>; pass
/// <c>--host-cache-tokens</c> (a large number for llama-server's default <c>--cache-ram</c>) when comparing with a server
/// started without <c>--cache-ram 0</c>. Every run uses documents of its own, so nothing is cached from an earlier run.
/// </remarks>
internal static class PromptCacheComparison
{
    private const int Slots = 4;
    private const int Documents = 24;
    private const int Questions = 8;
    private const int DocumentTokens = 400;
    private const int QuestionTokens = 16;
    private const int MaxTokens = 8;

    private static readonly string[] s_orders =
    [
        "shuffled, 4 at once",
        "grouped by document, 4 at once",
        "each document in sequence, 4 lanes",
        "4 lanes, id_slot = lane",
    ];

    public static async Task RunAsync(string[] args)
    {
        var url = args.FirstOrDefault(a => a.StartsWith("http", StringComparison.OrdinalIgnoreCase));
        var hostIndex = Array.IndexOf(args, "--host-cache-tokens");
        var hostCacheTokens = hostIndex >= 0 ? int.Parse(args[hostIndex + 1], CultureInfo.InvariantCulture) : 0;
        var orderIndex = Array.IndexOf(args, "--order");
        var roundsIndex = Array.IndexOf(args, "--rounds");
        var rounds = roundsIndex >= 0 ? int.Parse(args[roundsIndex + 1], CultureInfo.InvariantCulture) : 2;
        int[] orders = orderIndex >= 0 ? [int.Parse(args[orderIndex + 1], CultureInfo.InvariantCulture)] : [.. Enumerable.Range(0, s_orders.Length)];
        Console.WriteLine(Invariant($"{Documents} documents x {Questions} questions, {DocumentTokens} + {QuestionTokens} prompt tokens, {MaxTokens} generated, {Slots} slots; simulator host cache {hostCacheTokens} tokens"));

        // Without a URL: the values calibrated on the rig's CPU llama-server (tiny model, -t 1, 2 shared cores): 0.02 ms
        // a prompt token, 0.28 ms a generated token and 1.5 ms the rest of a round trip, each times 4 (see CalibrateAsync).
        var simulator = new SimulatedGatewayOptions
        {
            Slots = Slots,
            Latency = TimeSpan.FromMilliseconds(6),
            LatencyPerPromptToken = TimeSpan.FromMilliseconds(0.08),
            LatencyPerToken = TimeSpan.FromMilliseconds(1.1),
            PromptCache = new SimulatedPromptCacheOptions { HostCacheTokens = hostCacheTokens },
        };

        double[]? real = null;
        double[]? realCached = null;
        if (url is not null)
        {
            using var http = CreateClient(new Uri(url));
            await CalibrateAsync(http, simulator);
            (real, realCached) = await RunOrdersAsync(http, orders, rounds);
        }

        await using var gateway = await SimulatedGateway.StartAsync(simulator);
        using var simulated = CreateClient(gateway.Endpoint);
        var (sim, simCached) = await RunOrdersAsync(simulated, orders, rounds);

        Console.WriteLine();
        Console.WriteLine(Invariant($"{"order",-36} {"real req/s",11} {"cached",7} {"x",6}   {"sim req/s",10} {"cached",7} {"x",6}"));
        foreach (var i in orders)
        {
            var realPart = real is null ? $"{"-",11} {"-",7} {"-",6}" : Invariant($"{real[i],11:0.0} {realCached![i],7:0.000} {real[i] / real[orders[0]],6:0.00}");
            Console.WriteLine(Invariant($"{s_orders[i],-36} {realPart}   {sim[i],10:0.0} {simCached[i],7:0.000} {sim[i] / sim[orders[0]],6:0.00}"));
        }

        Console.WriteLine("(x: throughput relative to the first order shown, in the same column; cached: cached_tokens / prompt_tokens)");
    }

    /// <summary>
    /// Sends 2 warm-up requests, then 8 uncached requests one at a time, and sets the simulator's costs from the
    /// server's own timings: milliseconds a prompt token and a generated token, and the rest of each round trip as
    /// the fixed latency. A CPU llama-server's slots share its threads (4 requests at once take about as long as 4
    /// one after the other), where the simulator's slots work side by side: so each simulated slot is given
    /// <see cref="Slots"/> times the cost of a request alone, and 4 busy simulated slots do the work of the real
    /// server's one processor.
    /// </summary>
    private static async Task CalibrateAsync(HttpClient http, SimulatedGatewayOptions simulator)
    {
        var workload = new PromptCacheWorkload(10, 1, DocumentTokens, QuestionTokens, seed: 9_999);
        var answers = new List<PromptCacheWorkload.Answer>();
        for (var document = 0; document < 10; document++)
        {
            var answer = await workload.SendAsync(http, document, 0, MaxTokens, slot: -1);
            if (document >= 2)
            {
                answers.Add(answer);
            }
        }

        var promptMsPerToken = answers.Sum(a => a.PromptMs) / answers.Sum(a => a.PromptTokens - a.CachedTokens);
        var predictedMsPerToken = answers.Sum(a => a.PredictedMs) / answers.Sum(a => a.CompletionTokens);
        var other = Math.Max(0, answers.Select(a => a.WallMs - a.PromptMs - a.PredictedMs).Order().ElementAt(answers.Count / 2));
        simulator.LatencyPerPromptToken = TimeSpan.FromMilliseconds(Slots * promptMsPerToken);
        simulator.LatencyPerToken = TimeSpan.FromMilliseconds(Slots * predictedMsPerToken);
        simulator.Latency = TimeSpan.FromMilliseconds(Slots * other);
        Console.WriteLine(Invariant(
            $"calibrated on the server (one request at a time): prompt {promptMsPerToken:0.0000} ms/token, generation {predictedMsPerToken:0.000} ms/token, rest of the round trip {other:0.00} ms (x{Slots} a simulated slot); prompt_tokens {answers[0].PromptTokens} for {DocumentTokens + QuestionTokens} ids"));
    }

    /// <summary>Runs the orders <paramref name="rounds"/> times, alternating; returns the mean req/s and cached share of each.</summary>
    private static async Task<(double[] RequestsPerSecond, double[] Cached)> RunOrdersAsync(HttpClient http, int[] orders, int rounds)
    {
        var throughput = new double[s_orders.Length];
        var cached = new double[s_orders.Length];
        for (var round = 0; round < rounds; round++)
        {
            foreach (var order in orders)
            {
                var workload = new PromptCacheWorkload(Documents, Questions, DocumentTokens, QuestionTokens, seed: (round * 100) + order + 1);
                var result = order switch
                {
                    0 => await workload.RunInOrderAsync(http, workload.Shuffled(seed: round + 1), Slots, MaxTokens),
                    1 => await workload.RunInOrderAsync(http, workload.Grouped(), Slots, MaxTokens),
                    2 => await workload.RunInLanesAsync(http, Slots, MaxTokens, pinSlots: false),
                    _ => await workload.RunInLanesAsync(http, Slots, MaxTokens, pinSlots: true),
                };
                throughput[order] += result.RequestsPerSecond / rounds;
                cached[order] += result.CachedRatio / rounds;
            }
        }

        return (throughput, cached);
    }

    private static HttpClient CreateClient(Uri endpoint) => new()
    {
        BaseAddress = endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/"),
        Timeout = TimeSpan.FromMinutes(5),
    };
}
