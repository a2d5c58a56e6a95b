using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LocalBatch.Benchmarks;

/// <summary>
/// CPU while waiting: the CPU time (user + system, start-up included) that <c>localbatch run</c> burns on a batch
/// file against a slow server, against a plain aiohttp loop sending the same lines (<c>aiohttp_loop.py</c>), both
/// as child processes in one run, alternating. The server is a simulator in a process of its own (4 slots, 75 ms
/// an answer), so that neither side's figure includes the server's CPU. Target: the tool's ≤ 1.5× the loop's.
/// </summary>
internal static partial class CpuBenchmark
{
    public static async Task RunAsync(string? toolPath, int lines, int rounds)
    {
        var root = FindRepositoryRoot();
        toolPath ??= Path.Combine(root, "src", "LocalBatch.Cli", "bin", "Release", "net10.0", "LocalBatch.Cli");
        if (!File.Exists(toolPath))
        {
            Console.WriteLine($"No tool at {toolPath}: build it first (dotnet build -c Release src/LocalBatch.Cli), or give its path.");
            return;
        }

        var python = FindPythonWithAiohttp();
        var directory = Directory.CreateTempSubdirectory("localbatch-bench-cpu-").FullName;
        using var simulator = SelfProcess.StartSimulator(slots: 4, latencyMilliseconds: 75, out var endpoint);
        try
        {
            var input = Path.Combine(directory, "input.jsonl");
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(i =>
                $$$"""{"custom_id": "r{{{i}}}", "method": "POST", "url": "/v1/completions", "body": {"prompt": "Write a haiku number {{{i}}}", "max_tokens": 8}}"""));

            Console.WriteLine($"{lines} completion lines, 4 slots, 75 ms an answer; CPU = user + system of the whole process");
            Console.WriteLine($"{"client",-22} {"CPU s",8} {"wall s",8}");
            var tool = new List<(double Cpu, double Wall)>();
            var loop = new List<(double Cpu, double Wall)>();
            for (var round = 0; round < rounds; round++)
            {
                var state = Path.Combine(directory, "state-" + round);
                tool.Add(Measure("localbatch run", toolPath,
                    ["run", input, "--endpoint", endpoint, "--state-dir", state, "-o", Path.Combine(directory, $"tool-{round}.jsonl")]));
                if (python is not null)
                {
                    loop.Add(Measure("aiohttp loop", python,
                        [Path.Combine(AppContext.BaseDirectory, "aiohttp_loop.py"), endpoint, input, Path.Combine(directory, $"loop-{round}.jsonl"), "4"]));
                }
            }

            var toolCpu = Stats.Median(tool.Select(run => run.Cpu));
            Console.WriteLine($"median: localbatch run {toolCpu:0.00} s CPU");
            if (python is null)
            {
                Console.WriteLine("No python3 with aiohttp (Debian: apt-get install python3-aiohttp): no baseline, no ratio.");
                return;
            }

            var loopCpu = Stats.Median(loop.Select(run => run.Cpu));
            Console.WriteLine($"median: aiohttp loop {loopCpu:0.00} s CPU; ratio {toolCpu / loopCpu:0.00} (target <= 1.5)");
        }
        finally
        {
            simulator.Kill(entireProcessTree: true);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static (double Cpu, double Wall) Measure(string label, string fileName, IEnumerable<string> arguments)
    {
        var cpuBefore = ChildrenCpuSeconds();
        var started = Stopwatch.GetTimestamp();
        var startInfo = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = ChildrenCpuSeconds() - cpuBefore;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{label} exited with {process.ExitCode}: {output.Result}{errors.Result}");
        }

        Console.WriteLine($"{label,-22} {cpu,8:0.00} {wall,8:0.00}");
        return (cpu, wall);
    }

    private static string? FindPythonWithAiohttp()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(candidate, ["-c", "import aiohttp"]) { RedirectStandardError = true })!;
                process.WaitForExit();
                if (process.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under this name.
            }
        }

        return null;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LocalBatch.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>User + system CPU of every child process waited for so far (getrusage(RUSAGE_CHILDREN)).</summary>
    private static double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("bench cpu reads children's CPU time with getrusage (Linux, macOS).");
        }

        if (GetResourceUsage(-1, out var usage) != 0)
        {
            throw new InvalidOperationException("getrusage failed: " + Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture));
        }

        return usage.UserSeconds + (usage.UserMicroseconds / 1e6) + usage.SystemSeconds + (usage.SystemMicroseconds / 1e6);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetResourceUsage(int who, out ResourceUsage usage);

    /// <summary>struct rusage (64-bit): ru_utime and ru_stime, then 14 longs this benchmark ignores (in Size).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 18 * sizeof(long))]
    private struct ResourceUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
    }
}
