using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Testing;
using static System.FormattableString;

namespace LocalBatch.Benchmarks;

/// <summary>
/// Prefix affinity against input order, as ratios in one run, on the simulated server's prompt-cache model set to mimic
/// a CPU llama-server with <c>--cache-ram 0</c> (4 slots): many questions about the same documents, shuffled, and the
/// same number of prompts that share nothing; through the processor and through a batch file.
/// </summary>
internal static class AffinityBenchmark
{
    private const int Documents = 24;
    private const int Questions = 8;
    private const int DocumentWords = 400;
    private const int QuestionWords = 16;
    private static int s_run;

    public static async Task RunAsync(int rounds)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            Slots = 4,
            Latency = TimeSpan.FromMilliseconds(6),
            LatencyPerPromptToken = TimeSpan.FromMilliseconds(0.08),
            LatencyPerToken = TimeSpan.FromMilliseconds(1.1),
            PromptCache = new SimulatedPromptCacheOptions { HostCacheTokens = 0 },
        });
        Console.WriteLine(Invariant($"{Documents} documents x {Questions} questions ({DocumentWords} + {QuestionWords} words), shuffled; 4 slots, prompt cache of one prompt a slot; median of {rounds} alternating rounds"));
        Console.WriteLine(Invariant($"{"workload",-40} {"affinity req/s",15} {"input order",12} {"ratio",7} {"cached share",13}"));

        await CompareAsync(gateway, "shared documents, processor", rounds, shared: true, file: false);
        await CompareAsync(gateway, "nothing shared, processor", rounds, shared: false, file: false);
        await CompareAsync(gateway, "shared documents, batch file", rounds, shared: true, file: true);
        await CompareAsync(gateway, "nothing shared, batch file", rounds, shared: false, file: true);
    }

    /// <summary>
    /// On a real llama-server: the shared documents through the processor with affinity and lanes keeping their slots
    /// (<c>id_slot</c>), with affinity and the server choosing the slot, and in input order, alternating, as ratios.
    /// Documents of <paramref name="words"/> words, sized to the server's context a slot.
    /// </summary>
    public static async Task RunOnServerAsync(Uri server, int rounds, int words)
    {
        (string Name, bool Affinity, bool Pinning)[] modes = [("affinity, slots kept", true, true), ("affinity, server picks", true, false), ("input order", false, false)];
        var rates = modes.Select(static _ => new List<double>()).ToArray();
        Console.WriteLine(Invariant($"{server}: {Documents} documents x {Questions} questions ({words} + {QuestionWords} words), shuffled; median of {rounds} alternating rounds"));
        for (var round = 0; round < rounds; round++)
        {
            foreach (var i in round % 2 == 0 ? [0, 1, 2] : new[] { 2, 1, 0 })
            {
                var prompts = Prompts(shared: true, words);
                using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = server, UsePrefixAffinity = modes[i].Affinity, UseSlotPinning = modes[i].Pinning });
                var started = Stopwatch.GetTimestamp();
                var results = await processor.ProcessBatchCompletionsAsync(prompts, new CompletionOptions { MaxTokens = 8 });
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                rates[i].Add(results.All(static r => r.IsSuccess) ? prompts.Count / seconds : throw new InvalidOperationException("A request failed."));
            }
        }

        for (var i = 0; i < modes.Length; i++)
        {
            Console.WriteLine(Invariant($"  {modes[i].Name,-24} {Stats.Median(rates[i]),8:0.0} req/s = {Stats.Median(rates[i]) / Stats.Median(rates[2]):0.00}x input order (rounds: {string.Join(", ", rates[i].Select(static r => r.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))})"));
        }

        Console.WriteLine(Invariant($"  slots kept against the server picking: {Stats.Median(rates[0]) / Stats.Median(rates[1]):0.00}x"));
    }

    private static async Task CompareAsync(SimulatedGateway gateway, string name, int rounds, bool shared, bool file)
    {
        var on = new List<double>();
        var off = new List<double>();
        var cachedOn = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var affinity in new[] { true, false })
            {
                var prompts = Prompts(shared);
                gateway.Counters.Reset();
                var seconds = file ? await RunFileAsync(gateway, prompts, affinity) : await RunProcessorAsync(gateway, prompts, affinity);
                (affinity ? on : off).Add(prompts.Count / seconds);
                if (affinity)
                {
                    cachedOn.Add(gateway.Counters.CachedPromptTokens / (double)Math.Max(1, gateway.Counters.PromptTokens));
                }
            }
        }

        var withAffinity = Stats.Median(on);
        var inOrder = Stats.Median(off);
        Console.WriteLine(Invariant($"{name,-40} {withAffinity,15:0.0} {inOrder,12:0.0} {withAffinity / inOrder,7:0.00} {Stats.Median(cachedOn),13:0.00}"));
    }

    private static async Task<double> RunProcessorAsync(SimulatedGateway gateway, List<string> prompts, bool affinity)
    {
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint, UsePrefixAffinity = affinity });
        var started = Stopwatch.GetTimestamp();
        var results = await processor.ProcessBatchCompletionsAsync(prompts, new CompletionOptions { MaxTokens = 8 });
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return results.All(r => r.IsSuccess) ? seconds : throw new InvalidOperationException("A request failed.");
    }

    private static async Task<double> RunFileAsync(SimulatedGateway gateway, List<string> prompts, bool affinity)
    {
        var store = Directory.CreateTempSubdirectory("localbatch-affinity-bench-");
        try
        {
            var lines = new StringBuilder();
            for (var i = 0; i < prompts.Count; i++)
            {
                lines.AppendLine(JsonSerializer.Serialize(new { custom_id = Invariant($"q{i}"), method = "POST", url = "/v1/completions", body = new { prompt = prompts[i], max_tokens = 8 } }));
            }

            using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint, UsePrefixAffinity = affinity });
            await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store.FullName });
            var started = Stopwatch.GetTimestamp();
            var job = await manager.CreateAsync(new MemoryStream(Encoding.UTF8.GetBytes(lines.ToString())));
            job = await manager.WaitAsync(job.Id);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return job.RequestCounts.Completed == prompts.Count ? seconds : throw new InvalidOperationException("A line failed.");
        }
        finally
        {
            store.Delete(recursive: true);
        }
    }

    /// <summary>Questions about documents of this run's own (so nothing is cached from an earlier run), shuffled; or prompts that share nothing.</summary>
    private static List<string> Prompts(bool shared, int documentWords = DocumentWords)
    {
        var run = Interlocked.Increment(ref s_run);
        var prompts = new List<string>();
        for (var d = 0; d < Documents; d++)
        {
            var document = string.Join(' ', Enumerable.Range(0, documentWords).Select(w => Invariant($"r{run}d{d}w{w}")));
            for (var q = 0; q < Questions; q++)
            {
                var text = shared ? document : string.Join(' ', Enumerable.Range(0, documentWords).Select(w => Invariant($"r{run}d{d}q{q}w{w}")));
                prompts.Add(text + "\n" + string.Join(' ', Enumerable.Range(0, QuestionWords).Select(w => Invariant($"question{q}word{w}"))));
            }
        }

        var random = new Random(run);
        return [.. prompts.OrderBy(_ => random.Next())];
    }

}
