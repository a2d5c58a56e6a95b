using System.Diagnostics;
using System.Globalization;

namespace LocalBatch.Benchmarks;

/// <summary>This benchmark's own executable started again as a child process, with one of its commands.</summary>
internal static class SelfProcess
{
    /// <summary>How to start this executable with <paramref name="arguments"/> (as <c>dotnet LocalBatch.Benchmarks.dll</c> when run that way).</summary>
    public static ProcessStartInfo StartInfo(params IEnumerable<string> arguments)
    {
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>
    /// Starts the simulated gateway in a process of its own (<c>simulate SLOTS LATENCY_MS</c>) and returns it with the
    /// endpoint it printed. The caller kills it (<c>Kill(entireProcessTree: true)</c>) when done.
    /// </summary>
    public static Process StartSimulator(int slots, double latencyMilliseconds, out string endpoint)
    {
        var start = StartInfo("simulate", slots.ToString(CultureInfo.InvariantCulture), latencyMilliseconds.ToString(CultureInfo.InvariantCulture));
        start.RedirectStandardOutput = true;
        var process = Process.Start(start)!;
        endpoint = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The simulator did not start.");
        return process;
    }
}
