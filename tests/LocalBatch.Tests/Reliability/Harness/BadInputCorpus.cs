using System.Diagnostics;
using System.Globalization;
using LocalBatch.Testing;

namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>
/// The bad input corpus: one case a file in <c>Corpus/</c> (<c>NN-name.case</c>, beside its input <c>NN-name.jsonl</c>
/// when it has one), each run through <c>localbatch run</c> against a simulated gateway of its own and checked: the
/// exit code, the lines stderr must hold, the requests sent (none when the input is refused), the files created, and
/// always — no stack trace, no hang.
/// </summary>
/// <remarks>
/// A case file holds a <c># description</c> line, then <c>key: value</c> lines: <c>args:</c> (default
/// <c>run {input}</c>; <c>{input}</c> and <c>{dir}</c> are replaced, and <c>--endpoint</c> and <c>--state-dir</c> added
/// unless given), <c>input:</c> (<c>file</c>, <c>missing</c>, <c>directory</c> or <c>unreadable</c>), <c>exit:</c> and
/// <c>exit-as-root:</c>, <c>stderr:</c> and <c>stderr-unless-root:</c> (each a text stderr must contain), <c>sent:</c>
/// (generation requests; 0 by default when the exit code is 2) and <c>creates:</c> (a path under <c>{dir}</c>).
/// </remarks>
internal static class BadInputCorpus
{
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Gets the corpus folder copied beside this assembly.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Corpus");

    public static IReadOnlyList<string> Names() => CaseFile.Names(Folder);

    /// <summary>Runs one case; the result lists every way it differed from what its file expects (none when it passed).</summary>
    /// <param name="name">The case, such as <c>08-empty-file</c>.</param>
    /// <param name="runCli">Runs the command line, returning its exit code and stderr.</param>
    public static async Task<Outcome> RunAsync(string name, Func<string[], Task<(int ExitCode, string Error)>> runCli)
    {
        var spec = Spec.Read(Path.Combine(Folder, name + ".case"));
        var directory = Path.Combine(Path.GetTempPath(), "localbatch-corpus", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var input = Path.Combine(directory, name + ".jsonl");
            PrepareInput(spec.Input, Path.Combine(Folder, name + ".jsonl"), input);
            await using var gateway = await SimulatedGateway.StartAsync();
            var args = spec.Args.Select(arg => arg.Replace("{input}", input, StringComparison.Ordinal).Replace("{dir}", directory, StringComparison.Ordinal)).ToList();
            if (args.Count > 0 && args[0] == "run" && !args.Contains("--endpoint"))
            {
                args.AddRange(["--endpoint", gateway.Endpoint.ToString()]);
            }

            if (args.Count > 0 && args[0] == "run" && !args.Contains("--state-dir"))
            {
                args.AddRange(["--state-dir", Path.Combine(directory, "state")]);
            }

            var started = Stopwatch.GetTimestamp();
            var (exitCode, error) = await runCli([.. args]).WaitAsync(CaseTimeout);
            var sent = gateway.Counters.GetRequests("/v1/completions") + gateway.Counters.GetRequests("/v1/chat/completions") + gateway.Counters.GetRequests("/v1/embeddings");
            var problems = Check(spec, directory, exitCode, error, sent);
            return new Outcome(name, spec.Description, exitCode, error, sent, Stopwatch.GetElapsedTime(started), problems);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static List<string> Check(Spec spec, string directory, int exitCode, string error, long sent)
    {
        var problems = new List<string>();
        var root = Environment.IsPrivilegedProcess;
        var expectedExit = root && spec.ExitAsRoot is { } rootExit ? rootExit : spec.Exit;
        if (exitCode != expectedExit)
        {
            problems.Add($"exit code {exitCode}, expected {expectedExit}");
        }

        foreach (var text in root ? spec.Stderr : [.. spec.Stderr, .. spec.StderrUnlessRoot])
        {
            if (!error.Contains(text, StringComparison.Ordinal))
            {
                problems.Add($"stderr lacks \"{text}\"");
            }
        }

        if (error.Contains("\n   at ", StringComparison.Ordinal) || error.Contains("Unhandled exception", StringComparison.Ordinal))
        {
            problems.Add("stderr holds a stack trace");
        }

        var expectedSent = spec.Sent ?? (expectedExit == 2 ? 0 : null);
        if (expectedSent is { } count && sent != count)
        {
            problems.Add($"{sent} requests sent, expected {count}");
        }

        foreach (var path in spec.Creates)
        {
            if (!File.Exists(Path.Combine(directory, path)))
            {
                problems.Add($"{path} was not created");
            }
        }

        return problems;
    }

    private static void PrepareInput(string kind, string source, string input)
    {
        switch (kind)
        {
            case "missing":
                break;
            case "directory":
                Directory.CreateDirectory(input);
                break;
            default:
                File.Copy(source, input);
                if (kind == "unreadable" && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(input, UnixFileMode.None);
                }

                break;
        }
    }

    /// <summary>What one case did, and every way it differed from its file.</summary>
    public sealed record Outcome(string Name, string Description, int ExitCode, string Error, long Sent, TimeSpan Elapsed, IReadOnlyList<string> Problems)
    {
        public bool Passed => Problems.Count == 0;

        public override string ToString() =>
            $"{Name} ({Description}): exit {ExitCode}, {Sent} sent{(Passed ? string.Empty : "; " + string.Join("; ", Problems))}\n{Error}";
    }

    /// <summary>A case file, read.</summary>
    private sealed record Spec(
        string Description,
        IReadOnlyList<string> Args,
        string Input,
        int Exit,
        int? ExitAsRoot,
        IReadOnlyList<string> Stderr,
        IReadOnlyList<string> StderrUnlessRoot,
        int? Sent,
        IReadOnlyList<string> Creates)
    {
        public static Spec Read(string path)
        {
            var file = CaseFile.Read(path);
            return new Spec(
                file.Description,
                (file.One("args") ?? "run {input}").Split(' ', StringSplitOptions.RemoveEmptyEntries),
                file.One("input") ?? "file",
                int.Parse(file.Required("exit"), CultureInfo.InvariantCulture),
                file.Number("exit-as-root"),
                file.All("stderr"),
                file.All("stderr-unless-root"),
                file.Number("sent"),
                file.All("creates"));
        }
    }
}
