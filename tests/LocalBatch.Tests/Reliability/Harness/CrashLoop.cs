using System.Text.Json;
using LocalBatch.Testing;

namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>
/// One <c>localbatch run</c> command started again and again as a child process and killed outright (SIGKILL) at chosen
/// points: after so many more requests reach the gateway, while the gateway is down, while the results are copied out,
/// while the input is validated. Each method runs the command once and tells whether its kill landed (the process was
/// still running); <see cref="RunToEndAsync"/> finally lets it finish. The test and <c>bench reliability</c> use it.
/// </summary>
/// <param name="gateway">The gateway the command talks to (its request count places the kills).</param>
/// <param name="args">The command line.</param>
/// <param name="stateDirectory">Its <c>--state-dir</c>.</param>
/// <param name="outputPath">Its output path, whose temporary copy (<c>.partial</c>) marks the copying.</param>
internal sealed class CrashLoop(SimulatedGateway gateway, IReadOnlyList<string> args, string stateDirectory, string outputPath)
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Gets the number of runs started, the last included.</summary>
    public int Runs { get; private set; }

    /// <summary>Gets the number of kills that landed while the process ran.</summary>
    public int Kills { get; private set; }

    /// <summary>Gets the number of kills that landed while a batch was validating.</summary>
    public int KillsWhileValidating { get; private set; }

    /// <summary>Runs the command until the gateway has seen <paramref name="more"/> more requests, then kills it.</summary>
    public async Task<bool> KillAfterRequestsAsync(int more)
    {
        using var cli = Start();
        await WaitForRequestsOrExitAsync(cli, more);
        return Count(await cli.KillAsync());
    }

    /// <summary>The server dies mid-run; the command is killed while it waits to retry; then the server comes back.</summary>
    public async Task<bool> KillWhileTheServerIsDownAsync(int more)
    {
        using var cli = Start();
        await WaitForRequestsOrExitAsync(cli, more);
        await gateway.StopListeningAsync();
        var killed = await cli.KillAsync();
        await gateway.StartListeningAsync();
        return Count(killed);
    }

    /// <summary>The server dies mid-run and comes back while the command retries; it is killed as it copies its results.</summary>
    public async Task<bool> KillWhileCopyingAfterAnOutageAsync(int more)
    {
        using var copying = new FileWatch(Path.GetDirectoryName(outputPath)!, Path.GetFileName(outputPath) + ".partial");
        using var cli = Start();
        await WaitForRequestsOrExitAsync(cli, more);
        await gateway.StopListeningAsync();
        await gateway.StartListeningAsync();
        await Task.WhenAny(copying.Appeared, cli.Exited).WaitAsync(RunTimeout);
        return Count(await cli.KillAsync());
    }

    /// <summary>Kills the command as soon as it starts copying an input into the store (a large one gives time).</summary>
    public async Task<bool> KillWhileValidatingAsync()
    {
        using var validating = new FileWatch(stateDirectory, "input.jsonl.tmp", subdirectories: true);
        using var cli = Start();
        var sentBefore = GenerationRequests();
        await Task.WhenAny(validating.Appeared, cli.Exited).WaitAsync(RunTimeout);
        var killed = Count(await cli.KillAsync());
        if ((await ReadStatesAsync(stateDirectory)).Contains("validating"))
        {
            KillsWhileValidating++;
            if (GenerationRequests() != sentBefore)
            {
                throw new InvalidOperationException("A request was sent while the input was still being validated.");
            }
        }

        return killed;
    }

    /// <summary>Runs the command to its end.</summary>
    public async Task<(int ExitCode, string Error)> RunToEndAsync()
    {
        Runs++;
        return await CliProcess.RunAsync(args, RunTimeout);
    }

    /// <summary>The status of every batch in a store.</summary>
    public static async Task<List<string>> ReadStatesAsync(string stateDirectory)
    {
        var states = new List<string>();
        foreach (var directory in Directory.GetDirectories(stateDirectory))
        {
            var path = Path.Combine(directory, "batch.json");
            if (File.Exists(path))
            {
                using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
                states.Add(json.RootElement.GetProperty("status").GetString()!);
            }
        }

        return states;
    }

    /// <summary>The requests of batch lines the gateway has seen (the run's start-up look at /health is not one).</summary>
    private long GenerationRequests() => GenerationRequests(gateway);

    private static long GenerationRequests(SimulatedGateway gateway) =>
        gateway.Counters.GetRequests("/v1/chat/completions") + gateway.Counters.GetRequests("/v1/completions") + gateway.Counters.GetRequests("/v1/embeddings")
        + gateway.Counters.GetRequests("/v1/responses") + gateway.Counters.GetRequests("/v1/messages");

    private CliProcess Start()
    {
        Runs++;
        return CliProcess.Start(args);
    }

    private bool Count(bool killed)
    {
        Kills += killed ? 1 : 0;
        return killed;
    }

    /// <summary>
    /// Waits until the gateway has seen <paramref name="more"/> more requests of batch lines, or the process has ended.
    /// Only those count: a run's start-up look at <c>/health</c> comes before its input is validated, so a kill "at the
    /// first request" that counted it could land while validating (and leave a failed run) on a loaded machine.
    /// </summary>
    public static async Task WaitForRequestsOrExitAsync(SimulatedGateway gateway, CliProcess cli, int more)
    {
        var target = GenerationRequests(gateway) + more;
        using var stop = new CancellationTokenSource();
        while (GenerationRequests(gateway) < target && !cli.Exited.IsCompleted)
        {
            // Woken by every request the gateway receives, whichever its path.
            var next = gateway.WaitForRequestsAsync(gateway.Counters.TotalRequests + 1, stop.Token);
            await Task.WhenAny(next, cli.Exited).WaitAsync(RunTimeout);
        }

        await stop.CancelAsync();
    }

    private Task WaitForRequestsOrExitAsync(CliProcess cli, int more) => WaitForRequestsOrExitAsync(gateway, cli, more);
}
