using System.Diagnostics;
using System.Globalization;
using LocalBatch.Testing;

namespace LocalBatch.Benchmarks;

/// <summary>
/// One batch over several simulated servers, and a concurrency found without <c>/props</c>, each reported as a ratio
/// in one run: throughput against the summed ideal (slots ÷ latency), each server's peak in flight against its slots,
/// failures and losses when a server stops and comes back, and the latency-based limit against the ideal.
/// </summary>
internal static class ScaleOutBenchmark
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync()
    {
        await SeveralServersAsync(requests: 3_000);
        await FailoverAsync(requests: 3_000);
        await AdaptiveAsync(slots: 16, requests: 3_000);
        await AdaptiveAsync(slots: 2, requests: 400);
    }

    /// <summary>Three servers of 2, 4 and 8 slots: the ideal is 14 / 0.05 s = 280 requests a second.</summary>
    private static async Task SeveralServersAsync(int requests)
    {
        var servers = await StartAsync(2, 4, 8);
        try
        {
            using var processor = new LocalBatchProcessor(Options(servers));
            await WarmUpAsync(processor, servers);
            var ideal = servers.Sum(s => s.Options.Slots) / Latency.TotalSeconds;

            var (elapsed, failed) = await TimeAsync(processor, requests);

            var throughput = requests / elapsed.TotalSeconds;
            Console.WriteLine(Invariant($"several servers (2, 4, 8 slots, 50 ms): {throughput:0.0} req/s = {throughput / ideal:0.000} of the ideal {ideal:0}; failed {failed}"));
            foreach (var server in servers)
            {
                Console.WriteLine(Invariant($"  {server.Options.Slots} slots: peak in flight {server.Counters.PeakInFlight}, {server.Counters.GetRequests("/v1/completions")} requests"));
            }
        }
        finally
        {
            await StopAsync(servers);
        }
    }

    /// <summary>The 8-slot server stops a third of the way in, and starts again a little later.</summary>
    private static async Task FailoverAsync(int requests)
    {
        var servers = await StartAsync(2, 4, 8);
        var eight = servers[2];
        try
        {
            using var processor = new LocalBatchProcessor(Options(servers));
            await WarmUpAsync(processor, servers);
            var started = Stopwatch.GetTimestamp();
            var batch = processor.ProcessBatchCompletionsAsync(Prompts(requests), new CompletionOptions { MaxTokens = 8 });

            await WaitForAsync(() => servers.Sum(s => s.Counters.SucceededRequests) >= requests / 3);
            await eight.StopListeningAsync();
            var stoppedAt = Stopwatch.GetElapsedTime(started);
            await WaitForAsync(() => servers.Sum(s => s.Counters.SucceededRequests) >= requests / 2);
            var servedBeforeRestart = eight.Counters.GetRequests("/v1/completions");
            await eight.StartListeningAsync();
            var restarted = Stopwatch.GetTimestamp();
            await WaitForAsync(() => eight.Counters.GetRequests("/v1/completions") > servedBeforeRestart || batch.IsCompleted);
            var backAfter = Stopwatch.GetElapsedTime(restarted);
            var results = await batch;

            var failed = results.Count(r => !r.IsSuccess);
            var lost = requests - results.Count;
            Console.WriteLine(Invariant($"failover (8-slot server stopped at {stoppedAt.TotalSeconds:0.0} s, a third of the way): failed {failed}, lost {lost}; restarted, it served again after {backAfter.TotalSeconds:0.00} s"));
        }
        finally
        {
            await StopAsync(servers);
        }
    }

    /// <summary>One server without <c>/props</c>: the limit is found from latency.</summary>
    private static async Task AdaptiveAsync(int slots, int requests)
    {
        var servers = await StartAsync(slots, enableProps: false);
        try
        {
            using var processor = new LocalBatchProcessor(Options(servers));
            await WarmUpAsync(processor, servers);
            var ideal = slots / Latency.TotalSeconds;

            var (elapsed, failed) = await TimeAsync(processor, requests);

            var throughput = requests / elapsed.TotalSeconds;
            var server = servers[0];
            Console.WriteLine(Invariant($"adaptive, no /props, {slots} slots: {throughput:0.0} req/s = {throughput / ideal:0.000} of the ideal {ideal:0}; peak open at the server {server.Counters.PeakInFlight} ({server.Counters.PeakInFlight / (double)slots:0.00} x its slots); limit now {processor.Client.Pool.Snapshot()[0].Limit}; failed {failed}"));
        }
        finally
        {
            await StopAsync(servers);
        }
    }

    private static async Task<(TimeSpan Elapsed, int Failed)> TimeAsync(LocalBatchProcessor processor, int requests)
    {
        var started = Stopwatch.GetTimestamp();
        var results = await processor.ProcessBatchCompletionsAsync(Prompts(requests), new CompletionOptions { MaxTokens = 8 });
        return (Stopwatch.GetElapsedTime(started), results.Count(r => !r.IsSuccess));
    }

    /// <summary>Connections, JIT and, for a server without /props, the latency-based limit's first rounds; then counters from zero.</summary>
    private static async Task WarmUpAsync(LocalBatchProcessor processor, IReadOnlyList<SimulatedGateway> servers)
    {
        await processor.ProcessBatchCompletionsAsync(Prompts(servers.Sum(s => s.Options.Slots) * 4));
        foreach (var server in servers)
        {
            server.Counters.Reset();
        }
    }

    private static LocalBatchOptions Options(IReadOnlyList<SimulatedGateway> servers) => new()
    {
        Endpoints = [.. servers.Select(s => s.Endpoint)],
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromSeconds(1),
    };

    private static List<string> Prompts(int count) => [.. Enumerable.Range(0, count).Select(i => Invariant($"prompt number {i}"))];

    private static async Task<IReadOnlyList<SimulatedGateway>> StartAsync(params int[] slots) => await StartAsync(slots, enableProps: true);

    private static async Task<IReadOnlyList<SimulatedGateway>> StartAsync(int slots, bool enableProps) => await StartAsync([slots], enableProps);

    private static async Task<IReadOnlyList<SimulatedGateway>> StartAsync(int[] slots, bool enableProps)
    {
        var servers = new List<SimulatedGateway>();
        foreach (var count in slots)
        {
            servers.Add(await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = count, Latency = Latency, EnableProps = enableProps }));
        }

        return servers;
    }

    private static async Task StopAsync(IReadOnlyList<SimulatedGateway> servers)
    {
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(5);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
