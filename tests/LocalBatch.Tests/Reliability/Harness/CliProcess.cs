using System.Diagnostics;
using System.Text;

namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>
/// <c>localbatch</c> run as a child process (<c>dotnet exec … LocalBatch.Cli.dll …</c>, the build beside this assembly),
/// so that it can be killed outright (SIGKILL: no finally block, no flush, no disposal runs).
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _error = new();
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Line)> _errorWaiters = [];

    private CliProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => Append(_error, e.Data, _errorWaiters);
        process.OutputDataReceived += (_, e) => Append(_output, e.Data, waiters: null);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        Exited = WaitForExitAsync(process);
    }

    /// <summary>Gets the CLI's own assembly, copied beside the tests (and the benchmarks) by their project reference.</summary>
    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "LocalBatch.Cli.dll");

    /// <summary>Gets a task that completes with the exit code once the process has ended and its output is read.</summary>
    public Task<int> Exited { get; }

    /// <summary>Gets what the process wrote to stderr so far.</summary>
    public string Error => Read(_error);

    /// <summary>Gets what the process wrote to stdout so far.</summary>
    public string Output => Read(_output);

    /// <summary>Starts <c>localbatch</c> with the arguments, without the LOCALBATCH_* variables of this process.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="fileSizeLimitKilobytes">A limit on the size of every file the process writes (<c>ulimit -f</c>), or none.</param>
    public static CliProcess Start(IEnumerable<string> args, int? fileSizeLimitKilobytes = null)
    {
        var start = new ProcessStartInfo(fileSizeLimitKilobytes is null ? DotnetHost() : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (fileSizeLimitKilobytes is { } limit)
        {
            // Writes past the limit fail with EFBIG (SIGXFSZ, which would kill the process, is ignored); sh counts 512-byte blocks.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"trap '' XFSZ; ulimit -f {limit * 2}; exec \"$0\" \"$@\"");
            start.ArgumentList.Add(DotnetHost());

            // The runtime's double-mapped code memory (W^X) lives in a file that such a limit would cut short.
            start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
        // The CLI runs on this assembly's dependency graph: its own deps.json names package assemblies that the build
        // did not copy here, because this assembly's shared frameworks (ASP.NET Core, for the simulator) carry them.
        var host = typeof(CliProcess).Assembly.GetName().Name;
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, host + ".runtimeconfig.json"));
        start.ArgumentList.Add("--depsfile");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, host + ".deps.json"));
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "LOCALBATCH_ENDPOINT", "LOCALBATCH_API_KEY", "LOCALBATCH_SERVE_API_KEY" })
        {
            start.Environment.Remove(name);
        }

        return new CliProcess(new Process { StartInfo = start });
    }

    /// <summary>
    /// Waits until the process writes a stderr line that <paramref name="match"/> accepts (or has written one) and
    /// returns it; throws when the process ends first, or after <paramref name="timeout"/>.
    /// </summary>
    public async Task<string> WaitForErrorLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var line = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_error)
        {
            if (_error.ToString().Split(Environment.NewLine).FirstOrDefault(match) is { } written)
            {
                return written;
            }

            _errorWaiters.Add((match, line));
        }

        if (await Task.WhenAny(line.Task, Exited).WaitAsync(timeout) != line.Task)
        {
            throw new InvalidOperationException($"localbatch ended (exit code {await Exited}) before writing the line waited for: {Error}");
        }

        return await line.Task;
    }

    /// <summary>Runs <c>localbatch</c> to its end (within <paramref name="timeout"/>, else it is killed and this throws).</summary>
    public static async Task<(int ExitCode, string Error)> RunAsync(IEnumerable<string> args, TimeSpan timeout, int? fileSizeLimitKilobytes = null)
    {
        using var cli = Start(args, fileSizeLimitKilobytes);
        try
        {
            var code = await cli.Exited.WaitAsync(timeout);
            return (code, cli.Error);
        }
        catch (TimeoutException)
        {
            await cli.KillAsync();
            throw new TimeoutException($"localbatch {string.Join(' ', args)} did not end within {timeout}: {cli.Error}");
        }
    }

    /// <summary>Sends the process a signal as a terminal or a service manager would (Ctrl+C is SIGINT), with kill(1).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Kills the process (SIGKILL) unless it has ended; returns whether it was still running.</summary>
    public async Task<bool> KillAsync()
    {
        var running = !Exited.IsCompleted;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            running = false; // it had ended already
        }

        await Exited;
        return running;
    }

    public void Dispose() => _process.Dispose();

    private static string Read(StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }

    private static void Append(StringBuilder text, string? line, List<(Func<string, bool> Match, TaskCompletionSource<string> Line)>? waiters)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
            foreach (var waiter in waiters ?? [])
            {
                if (waiter.Match(line))
                {
                    waiter.Line.TrySetResult(line);
                }
            }
        }
    }

    private static async Task<int> WaitForExitAsync(Process process)
    {
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    /// <summary>The dotnet host: the one the SDK names, the one running this process, or the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";
}
