using System.Text.Json;
using LocalBatch.Cli;
using LocalBatch.Tests.Batches;

namespace LocalBatch.Tests.Support;

/// <summary>Runs the localbatch command line in-process against a batch test environment, and reads what it wrote.</summary>
internal static class CliHarness
{
    /// <summary>The lines of the input files the CLI tests write.</summary>
    public const int Total = 6;

    public sealed record CliRun(int ExitCode, string Output, string Error);

    public static async Task<IReadOnlyDictionary<string, string>?> ReadMetadataAsync(string directory)
    {
        await using var stream = File.OpenRead(Path.Combine(directory, "batch.json"));
        return (await JsonSerializer.DeserializeAsync(stream, LocalBatch.Batches.BatchJsonContext.Default.BatchJob))!.Metadata;
    }

    public static Task<CliRun> RunCliAsync(params string[] args) => RunCliAsync(args, CancellationToken.None);

    /// <summary>Runs the CLI until the gateway pauses at chat request <paramref name="pauseAt"/>, then interrupts it (Ctrl+C).</summary>
    public static async Task<CliRun> RunUntilInterruptedAsync(BatchTestEnvironment env, string[] args, int pauseAt)
    {
        env.PauseAtChatRequest(pauseAt);
        using var interrupt = new CancellationTokenSource();
        var running = RunCliAsync(args, interrupt.Token);
        await env.WaitForPauseAsync();
        await interrupt.CancelAsync();
        return await running;
    }

    public static async Task<CliRun> RunCliAsync(string[] args, CancellationToken cancellationToken)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await LocalBatchCli.InvokeAsync(args, stdout, stderr, isTerminal: false, cancellationToken);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the CLI with <paramref name="interruption"/> as its Ctrl+C and <paramref name="publish"/> as its way of putting results in place.</summary>
    public static async Task<CliRun> RunCliAsync(string[] args, Interruption interruption, PublishOptions publish)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = CliContext.ForWriters(stdout, stderr, isTerminal: false, interruption) with { Publish = publish };
        var code = await LocalBatchCli.InvokeAsync(args, context);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the CLI in a context that <paramref name="configure"/> changes (its clock, a terminal on stdout), writing to the given writers.</summary>
    public static async Task<CliRun> RunCliAsync(string[] args, Func<CliContext, CliContext> configure, TextWriter? stderr = null, CancellationToken cancellationToken = default)
    {
        using var stdout = new StringWriter();
        using var ownError = stderr is null ? new StringWriter() : null;
        var error = stderr ?? ownError!;
        using var interruption = Interruption.From(cancellationToken);
        var code = await LocalBatchCli.InvokeAsync(args, configure(CliContext.ForWriters(stdout, error, isTerminal: false, interruption)));
        return new CliRun(code, stdout.ToString(), error.ToString()!);
    }

    public static string StateDir(BatchTestEnvironment env) => Path.Combine(env.StoreDirectory, "state");

    public static string WriteInput(BatchTestEnvironment env, string name, string content)
    {
        Directory.CreateDirectory(env.StoreDirectory);
        var path = Path.Combine(env.StoreDirectory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static IEnumerable<string> Expected(int count) => Enumerable.Range(1, count).Select(i => $"req-{i}").Order(StringComparer.Ordinal);

    public static List<string> CustomIds(string path) =>
        [.. BatchResumeTests.ReadCustomIds(path).Order(StringComparer.Ordinal)];

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string CustomIdOf(string line)
    {
        using var json = JsonDocument.Parse(line);
        return json.RootElement.GetProperty("custom_id").GetString()!;
    }

    /// <summary>How many names the file has (<c>stat -c %h</c>): 1 for a file that shares its inode with no other.</summary>
    public static string LinkCount(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true })!;
        var count = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return count;
    }
}
