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

        var withAffinity = Median(on);
        var inOrder = Median(off);
        Console.WriteLine(Invariant($"{name,-40} {withAffinity,15:0.0} {inOrder,12:0.0} {withAffinity / inOrder,7:0.00} {Median(cachedOn),13:0.00}"));
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
    private static List<string> Prompts(bool shared)
    {
        var run = Interlocked.Increment(ref s_run);
        var prompts = new List<string>();
        for (var d = 0; d < Documents; d++)
        {
            var document = string.Join(' ', Enumerable.Range(0, DocumentWords).Select(w => Invariant($"r{run}d{d}w{w}")));
            for (var q = 0; q < Questions; q++)
            {
                var text = shared ? document : string.Join(' ', Enumerable.Range(0, DocumentWords).Select(w => Invariant($"r{run}d{d}q{q}w{w}")));
                prompts.Add(text + "\n" + string.Join(' ', Enumerable.Range(0, QuestionWords).Select(w => Invariant($"question{q}word{w}"))));
            }
        }

        var random = new Random(run);
        return [.. prompts.OrderBy(_ => random.Next())];
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
