using System.Globalization;

namespace LocalBatch.Benchmarks;

/// <summary>
/// The client's own cost as users run it, with the server in another process: nginx answering a fixed completion at
/// once, or the simulated gateway as a child process (zero latency). In this process, in one run after a warm-up,
/// alternating rounds (each round in another order): a raw <see cref="HttpClient"/> + <see cref="SemaphoreSlim"/> +
/// <c>Task.WhenAll</c> loop (the ideal), the gateway client alone in that same loop (what the client costs without
/// the processor), and <c>ProcessBatchCompletionsAsync</c> with <c>MaxConcurrency</c> the same in-flight count.
/// Reported: each round's times, then medians, this process's CPU a request (the server's is not counted) and the
/// ratio to the raw loop's time (the ratio of the median times, and the median and range of each round's ratio: on a
/// busy machine, many short rounds give a steadier median than a few long ones). Target: LocalBatch ≤ 1.15× the raw loop.
/// </summary>
internal static class OverheadProcessBenchmark
{
    public const string Usage = "usage: overhead-process [nginx|simulator] [requests] [concurrency] [rounds]";

    public static async Task RunAsync(string server, int requests, int concurrency, int rounds)
    {
        using var child = await StartServerAsync(server, concurrency);
        if (child is null)
        {
            return;
        }

        var endpoint = child.Endpoint;
        var options = new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = concurrency };
        using var raw = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = endpoint };
        using var client = new LocalGatewayClient(options);
        using var processor = new LocalBatchProcessor(options);
        var prompts = Enumerable.Range(0, requests).Select(i => string.Create(CultureInfo.InvariantCulture, $"prompt number {i}")).ToList();
        var completionOptions = new CompletionOptions { MaxTokens = 4 };
        var sides = new (string Name, Func<IReadOnlyList<string>, Task> Run)[]
        {
            ("raw HttpClient", batch => OverheadBenchmark.RawAsync(raw, batch, concurrency)),
            ("client loop", batch => OverheadBenchmark.ClientLoopAsync(client, batch, concurrency)),
            ("LocalBatch", batch => ProcessAsync(processor, batch, completionOptions)),
        };

        // Warm-up: connections, JIT, tiered compilation.
        var warmUp = prompts.Take(5_000).ToList();
        for (var i = 0; i < 3; i++)
        {
            foreach (var (_, run) in sides)
            {
                await run(warmUp);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overhead against a server in another process ({child.Description}, zero latency), {requests} completions, {concurrency} in flight, {rounds} alternating rounds after a warm-up"));
        Console.WriteLine($"{"round",5} {"raw s",8} {"client s",9} {"LocalBatch s",13} {"LocalBatch/raw",15} {"client/raw",11}");
        var measured = sides.Select(_ => new List<(double Seconds, long Bytes, double Cpu)>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < sides.Length; i++)
            {
                var side = (round + i) % sides.Length; // each side goes first in turn
                measured[side].Add(await OverheadBenchmark.MeasureWithCpuAsync(() => sides[side].Run(prompts)));
            }

            var (plain, loop, library) = (measured[0][round].Seconds, measured[1][round].Seconds, measured[2][round].Seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round + 1,5} {plain,8:0.000} {loop,9:0.000} {library,13:0.000} {library / plain,15:0.00} {loop / plain,11:0.00}"));
        }

        var rawTime = OverheadBenchmark.Median(measured[0].Select(run => run.Seconds));
        var rawCpu = OverheadBenchmark.Median(measured[0].Select(run => run.Cpu));
        for (var side = 0; side < sides.Length; side++)
        {
            var time = OverheadBenchmark.Median(measured[side].Select(run => run.Seconds));
            var cpu = OverheadBenchmark.Median(measured[side].Select(run => run.Cpu));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {sides[side].Name,-15} {requests / time,7:0} req/s {cpu * 1e6 / requests,6:0.0} us CPU a request (this process only) {measured[side].Average(run => run.Bytes) / requests,6:0} B allocated a request"));
        }

        for (var side = 2; side > 0; side--)
        {
            var ratios = measured[side].Zip(measured[0], (run, plain) => run.Seconds / plain.Seconds).ToList();
            var cpu = OverheadBenchmark.Median(measured[side].Select(run => run.Cpu));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio ({sides[side].Name} / raw): time {OverheadBenchmark.Median(measured[side].Select(run => run.Seconds)) / rawTime:0.00} (the rounds' own: median {OverheadBenchmark.Median(ratios):0.00}, range {ratios.Min():0.00}–{ratios.Max():0.00}), CPU {cpu / rawCpu:0.00}{(side == 2 ? " (target <= 1.15)" : string.Empty)}"));
        }
    }

    private static async Task ProcessAsync(LocalBatchProcessor processor, IReadOnlyList<string> prompts, CompletionOptions options)
    {
        var results = await processor.ProcessBatchCompletionsAsync(prompts, options);
        if (results.FirstOrDefault(result => !result.IsSuccess)?.Error is { } error)
        {
            throw new InvalidOperationException($"A completion failed: {error.Message}");
        }
    }

    private static async Task<ChildServer?> StartServerAsync(string server, int slots)
    {
        switch (server)
        {
            case "nginx":
                if (NginxServer.Find() is not { } nginx)
                {
                    Console.WriteLine($"No nginx found (on PATH or in /usr/sbin). {NginxServer.InstallHint}; or run `overhead-process simulator`.");
                    return null;
                }

                return await NginxServer.StartAsync(nginx, slots);
            case "simulator":
                var process = SelfProcess.StartSimulator(slots, latencyMilliseconds: 0, out var endpoint);
                return new ChildServer(process, new Uri(endpoint), string.Create(CultureInfo.InvariantCulture, $"the simulated gateway as a child process, {slots} slots"));
            default:
                Console.WriteLine(Usage);
                return null;
        }
    }
}
