using System.Diagnostics;
using LocalBatch.Batches;
using LocalBatch.Testing;

namespace LocalBatch.Benchmarks;

/// <summary>
/// Runs an N-line batch file through BatchJobManager against the simulated gateway (zero latency) and reports the
/// process's peak working set: it must stay flat (well under 200 MB) as N grows, since the input is streamed.
/// </summary>
internal static class BatchFileMemoryBenchmark
{
    public static async Task RunAsync(int lines)
    {
        var directory = Path.Combine(Path.GetTempPath(), "localbatch-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var input = Path.Combine(directory, "input.jsonl");
            await using (var writer = new StreamWriter(input))
            {
                for (var i = 0; i < lines; i++)
                {
                    await writer.WriteLineAsync($$$"""{"custom_id":"req-{{{i}}}","method":"POST","url":"/v1/completions","body":{"prompt":"prompt number {{{i}}}","max_tokens":4}}""");
                }
            }

            await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 8 });
            using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint });
            await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions
            {
                StoreDirectory = Path.Combine(directory, "store"),
                MaxLinesPerBatch = int.MaxValue,
            });

            var started = Stopwatch.GetTimestamp();
            var job = await manager.CreateFromFileAsync(input);
            job = await manager.WaitAsync(job.Id);
            var elapsed = Stopwatch.GetElapsedTime(started);
            using var process = Process.GetCurrentProcess();
            Console.WriteLine($"{lines} lines: {job.Status}, {job.RequestCounts.Completed} completed, {job.RequestCounts.Failed} failed in {elapsed.TotalSeconds:0.0} s ({lines / elapsed.TotalSeconds:0} req/s); peak working set {process.PeakWorkingSet64 / (1024 * 1024)} MB");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
