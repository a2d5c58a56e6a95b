using System.Diagnostics;
using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Testing;

namespace LocalBatch.Benchmarks;

/// <summary>
/// Runs N-line batch files through <see cref="BatchJobManager"/> against the simulated gateway (zero latency) and
/// reports each run's peak working set. The simulator runs in this process; each batch runs in a child process of
/// its own, so that what is measured is the library (plus the runtime), not the server or an earlier, larger run.
/// Target: the peak stays flat (under 200 MB) as N grows; the report gives each peak's ratio to the smallest run's.
/// </summary>
internal static class BatchFileMemoryBenchmark
{
    public const string ChildCommand = "batchfile-child";

    public static async Task RunAsync(IReadOnlyList<int> sizes)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 8 });
        Console.WriteLine($"{"lines",10} {"status",10} {"completed",10} {"failed",7} {"req/s",8} {"peak MB",8} {"ratio",6}");
        long? first = null;
        foreach (var lines in sizes)
        {
            var report = await StartChildAsync(gateway.Endpoint, lines);
            first ??= report.PeakBytes;
            Console.WriteLine($"{lines,10} {report.Status,10} {report.Completed,10} {report.Failed,7} {report.RequestsPerSecond,8:0} {report.PeakBytes / (1024 * 1024),8} {(double)report.PeakBytes / first.Value,6:0.00}");
        }
    }

    /// <summary>The child's side: writes an N-line input, runs it to its end, prints one line of numbers.</summary>
    public static async Task RunAsChildAsync(Uri endpoint, int lines)
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

            using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = endpoint });
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
            Console.WriteLine(string.Join(' ', job.Status, job.RequestCounts.Completed, job.RequestCounts.Failed, (lines / elapsed.TotalSeconds).ToString("0", CultureInfo.InvariantCulture), process.PeakWorkingSet64));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<ChildReport> StartChildAsync(Uri endpoint, int lines)
    {
        var start = SelfProcess.StartInfo(ChildCommand, endpoint.ToString(), lines.ToString(CultureInfo.InvariantCulture));
        start.RedirectStandardOutput = true;
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {lines}-line run exited with {child.ExitCode}: {output}");
        }

        var fields = output.Trim().Split(' ');
        return new ChildReport(
            fields[0],
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            int.Parse(fields[2], CultureInfo.InvariantCulture),
            double.Parse(fields[3], CultureInfo.InvariantCulture),
            long.Parse(fields[4], CultureInfo.InvariantCulture));
    }

    private sealed record ChildReport(string Status, int Completed, int Failed, double RequestsPerSecond, long PeakBytes);
}
