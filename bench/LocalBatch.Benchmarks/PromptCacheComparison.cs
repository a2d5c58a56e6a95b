using System.Globalization;
using LocalBatch.Testing;
using static System.FormattableString;

namespace LocalBatch.Benchmarks;

/// <summary>
/// The simulated gateway's prompt cache model against a real llama-server: issue 13's workload (24 documents × 8
/// questions, 4 slots) in four orders, requests a second and the share of prompt tokens served from the cache, on the
/// real server (when its URL is given) and on the simulator set to mimic it. The simulator's costs are calibrated on
/// the real server first (its own <c>timings</c> for 4 uncached requests at once), or, without a URL, are the values
/// measured on the rig's CPU server.
/// </summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project bench/LocalBatch.Benchmarks promptcache [URL] [--host-cache-tokens N]</c>.
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
    private const int Rounds = 2;

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
        Console.WriteLine(Invariant($"{Documents} documents x {Questions} questions, {DocumentTokens} + {QuestionTokens} prompt tokens, {MaxTokens} generated, {Slots} slots; simulator host cache {hostCacheTokens} tokens"));

        // The values measured on the rig's CPU llama-server (tiny model, -t 1), used without a URL.
        var simulator = new SimulatedGatewayOptions
        {
            Slots = Slots,
            Latency = TimeSpan.FromMilliseconds(3.0),
            LatencyPerPromptToken = TimeSpan.FromMilliseconds(0.05),
            LatencyPerToken = TimeSpan.FromMilliseconds(1.0),
            PromptCache = new SimulatedPromptCacheOptions { HostCacheTokens = hostCacheTokens },
        };

        double[]? real = null;
        double[]? realCached = null;
        if (url is not null)
        {
            using var http = CreateClient(new Uri(url));
            await CalibrateAsync(http, simulator);
            (real, realCached) = await RunOrdersAsync(http);
        }

        await using var gateway = await SimulatedGateway.StartAsync(simulator);
        using var simulated = CreateClient(gateway.Endpoint);
        var (sim, simCached) = await RunOrdersAsync(simulated);

        Console.WriteLine();
        Console.WriteLine(Invariant($"{"order",-36} {"real req/s",11} {"cached",7} {"x",6}   {"sim req/s",10} {"cached",7} {"x",6}"));
        for (var i = 0; i < s_orders.Length; i++)
        {
            var realPart = real is null ? $"{"-",11} {"-",7} {"-",6}" : Invariant($"{real[i],11:0.0} {realCached![i],7:0.000} {real[i] / real[0],6:0.00}");
            Console.WriteLine(Invariant($"{s_orders[i],-36} {realPart}   {sim[i],10:0.0} {simCached[i],7:0.000} {sim[i] / sim[0],6:0.00}"));
        }

        Console.WriteLine("(x: throughput relative to the shuffled order, in the same column; cached: cached_tokens / prompt_tokens)");
    }

    /// <summary>
    /// Sends 3 waves of 4 uncached requests at once and sets the simulator's costs from the server's own timings:
    /// milliseconds a prompt token and a generated token, and the rest of each round trip as the fixed latency.
    /// </summary>
    private static async Task CalibrateAsync(HttpClient http, SimulatedGatewayOptions simulator)
    {
        var workload = new PromptCacheWorkload(3 * Slots, 1, DocumentTokens, QuestionTokens, seed: 9_999);
        var answers = new List<PromptCacheWorkload.Answer>();
        for (var wave = 0; wave < 3; wave++)
        {
            var batch = Enumerable.Range(wave * Slots, Slots).Select(d => workload.SendAsync(http, d, 0, MaxTokens, slot: -1));
            answers.AddRange(await Task.WhenAll(batch));
        }

        var promptMsPerToken = answers.Sum(a => a.PromptMs) / answers.Sum(a => a.PromptTokens - a.CachedTokens);
        var predictedMsPerToken = answers.Sum(a => a.PredictedMs) / answers.Sum(a => a.CompletionTokens);
        var other = answers.Select(a => a.WallMs - a.PromptMs - a.PredictedMs).Order().ElementAt(answers.Count / 2);
        simulator.LatencyPerPromptToken = TimeSpan.FromMilliseconds(promptMsPerToken);
        simulator.LatencyPerToken = TimeSpan.FromMilliseconds(predictedMsPerToken);
        simulator.Latency = TimeSpan.FromMilliseconds(Math.Max(0, other));
        Console.WriteLine(Invariant(
            $"calibrated on the server (4 uncached at once): prompt {promptMsPerToken:0.000} ms/token, generation {predictedMsPerToken:0.000} ms/token, rest of the round trip {other:0.00} ms; prompt_tokens {answers[0].PromptTokens} for {DocumentTokens + QuestionTokens} ids"));
    }

    /// <summary>Runs every order <see cref="Rounds"/> times, alternating; returns the mean req/s and cached share of each.</summary>
    private static async Task<(double[] RequestsPerSecond, double[] Cached)> RunOrdersAsync(HttpClient http)
    {
        var throughput = new double[s_orders.Length];
        var cached = new double[s_orders.Length];
        for (var round = 0; round < Rounds; round++)
        {
            for (var order = 0; order < s_orders.Length; order++)
            {
                var workload = new PromptCacheWorkload(Documents, Questions, DocumentTokens, QuestionTokens, seed: (round * 100) + order + 1);
                var result = order switch
                {
                    0 => await workload.RunInOrderAsync(http, workload.Shuffled(seed: round + 1), Slots, MaxTokens),
                    1 => await workload.RunInOrderAsync(http, workload.Grouped(), Slots, MaxTokens),
                    2 => await workload.RunInLanesAsync(http, Slots, MaxTokens, pinSlots: false),
                    _ => await workload.RunInLanesAsync(http, Slots, MaxTokens, pinSlots: true),
                };
                throughput[order] += result.RequestsPerSecond / Rounds;
                cached[order] += result.CachedRatio / Rounds;
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
