using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Testing;
using static System.FormattableString;

namespace LocalBatch.Benchmarks;

/// <summary>
/// A batch file of embedding lines coalesced into array calls against one call a line (inputs per call 1), as a ratio
/// in one run, on the simulated server set like the rig's CPU llama-server: 2 ms a call and 3.5 ms an input.
/// </summary>
internal static class CoalescingBenchmark
{
    public static async Task RunAsync(int lines, int rounds)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            Slots = 4,
            Latency = TimeSpan.FromMilliseconds(2),
            EmbeddingLatencyPerInput = TimeSpan.FromMilliseconds(3.5),
        });
        var input = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            input.AppendLine(JsonSerializer.Serialize(new { custom_id = Invariant($"e{i}"), method = "POST", url = "/v1/embeddings", body = new { input = Invariant($"a short text to embed, number {i}") } }));
        }

        var coalesced = new List<double>();
        var single = new List<double>();
        long calls = 0;
        for (var round = 0; round < rounds; round++)
        {
            coalesced.Add(await RunAsync(gateway, input.ToString(), inputsPerCall: 64));
            calls = gateway.Counters.GetRequests("/v1/embeddings");
            single.Add(await RunAsync(gateway, input.ToString(), inputsPerCall: 1));
        }

        var fast = coalesced.Order().ElementAt(rounds / 2);
        var slow = single.Order().ElementAt(rounds / 2);
        Console.WriteLine(Invariant($"{lines} embedding lines, 4 slots, 2 ms a call + 3.5 ms an input, median of {rounds} alternating rounds:"));
        Console.WriteLine(Invariant($"  coalesced (64 inputs a call, {calls} calls) {lines / fast:0.0} lines/s; one call a line {lines / slow:0.0} lines/s; ratio {slow / fast:0.00}"));
    }

    private static async Task<double> RunAsync(SimulatedGateway gateway, string input, int inputsPerCall)
    {
        gateway.Counters.Reset();
        var store = Directory.CreateTempSubdirectory("localbatch-coalesce-bench-");
        try
        {
            using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint, MaxEmbeddingInputsPerRequest = inputsPerCall });
            await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store.FullName });
            var started = Stopwatch.GetTimestamp();
            var job = await manager.WaitAsync((await manager.CreateAsync(new MemoryStream(Encoding.UTF8.GetBytes(input)))).Id);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return job.RequestCounts.Failed == 0 ? seconds : throw new InvalidOperationException("A line failed.");
        }
        finally
        {
            store.Delete(recursive: true);
        }
    }
}
