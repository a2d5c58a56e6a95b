using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Cli;
using LocalBatch.Tests.Reliability.Harness;
using LocalBatch.Tests.Support;
using Xunit.Abstractions;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Reliability;

/// <summary>
/// localbatch run killed outright (SIGKILL) at many points and run again each time: in the end every custom_id is
/// answered exactly once, in whole JSON lines, and the batch's state agrees with its files.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class CrashResumeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_KilledEarlyMidRunWhileTheServerIsDownAndWhileCopying_EveryCustomIdExactlyOnce()
    {
        const int Lines = 600;
        await using var env = await StartAsync();
        env.Gateway.Options.Latency = TimeSpan.FromMilliseconds(5); // 800 answers a second at most: a kill lands near its request
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Lines, i => i % 50 == 0 ? $"FAIL {i}" : $"prompt {i}"));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", StateDir(env)];
        var random = new Random(20_240_611);

        var landed = new List<int>
        {
            await KillAfterRequestsAsync(env, args, 1),                    // early: at the first request
            await KillAfterRequestsAsync(env, args, random.Next(5, 60)),   // mid-run, at random points
            await KillAfterRequestsAsync(env, args, random.Next(5, 60)),
            await KillAfterRequestsAsync(env, args, random.Next(5, 60)),
            await KillWhileTheServerIsDownAsync(env, args, random.Next(5, 40)),
            await KillWhileCopyingAfterAnOutageAsync(env, args, random.Next(5, 40)),
        };
        var kills = landed.Sum();
        var final = await CliProcess.RunAsync(args, RunTimeout);

        output.WriteLine($"kills landed: {string.Join(", ", landed)}; {env.ChatRequests} requests sent for {Lines} lines; last run: {final.Error}");
        Assert.Equal(ExitCodes.SomeFailed, final.ExitCode);
        Assert.True(kills >= 5, $"only {kills} kills landed while localbatch ran");
        var check = ExactlyOnceCheck.Of([.. Expected(Lines)], OutputPath(env), ErrorsPath(env));
        Assert.True(check.Holds, check.ToString());
        Assert.All(check.Errors, error => Assert.Equal(400, error.Status));
        Assert.Equal(Lines / 50, check.ErrorLines);
        await AssertStateAgreesAsync(env, Lines, Lines - (Lines / 50), Lines / 50);
    }

    [Fact]
    public async Task Run_KilledWhileValidating_LeavesAFailedRunAndTheNextRunStartsAfresh()
    {
        const int Lines = 150;
        await using var env = await StartAsync();
        var big = new string('x', 100_000); // 15 MB of input: validation takes long enough to be caught at it
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Lines, i => $"{i} {big}"));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", StateDir(env)];
        var inValidation = 0;

        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var validating = new FileWatch(StateDir(env), "input.jsonl.tmp", subdirectories: true);
            using var cli = CliProcess.Start(args);
            var sentBefore = env.ChatRequests;
            await Task.WhenAny(validating.Appeared, cli.Exited).WaitAsync(RunTimeout);
            await cli.KillAsync();
            if ((await ReadStatesAsync(env)).Contains("validating"))
            {
                inValidation++;
                Assert.Equal(sentBefore, env.ChatRequests); // nothing is sent before the whole input is valid
            }
        }

        var final = await CliProcess.RunAsync(args, RunTimeout);

        Assert.Equal(ExitCodes.Success, final.ExitCode);
        Assert.True(inValidation >= 1, "no kill landed while the input was being validated");
        var check = ExactlyOnceCheck.Of([.. Expected(Lines)], OutputPath(env), ErrorsPath(env));
        Assert.True(check.Holds, check.ToString());
        var states = await ReadStatesAsync(env);
        Assert.Single(states, "completed");
        Assert.Equal(states.Count - 1, states.Count(status => status == "failed")); // each run killed while validating
        Assert.DoesNotContain(Directory.GetFiles(StateDir(env), "*", SearchOption.AllDirectories), path => path.EndsWith("input.jsonl.tmp", StringComparison.Ordinal));
    }

    /// <summary>Runs localbatch until the gateway has seen <paramref name="more"/> more requests, then kills it.</summary>
    private static async Task<int> KillAfterRequestsAsync(BatchTestEnvironment env, string[] args, int more)
    {
        using var cli = CliProcess.Start(args);
        await WaitForRequestsOrExitAsync(env, cli, more);
        return await cli.KillAsync() ? 1 : 0;
    }

    /// <summary>The server dies mid-run; localbatch is killed while it waits to retry; then the server comes back.</summary>
    private static async Task<int> KillWhileTheServerIsDownAsync(BatchTestEnvironment env, string[] args, int more)
    {
        using var cli = CliProcess.Start(args);
        await WaitForRequestsOrExitAsync(env, cli, more);
        await env.Gateway.StopListeningAsync();
        var killed = await cli.KillAsync();
        await env.Gateway.StartListeningAsync();
        return killed ? 1 : 0;
    }

    /// <summary>The server dies mid-run and comes back while localbatch retries; it is killed as it copies its results.</summary>
    private static async Task<int> KillWhileCopyingAfterAnOutageAsync(BatchTestEnvironment env, string[] args, int more)
    {
        using var copying = new FileWatch(env.StoreDirectory, "jobs.output.jsonl.partial");
        using var cli = CliProcess.Start(args);
        await WaitForRequestsOrExitAsync(env, cli, more);
        await env.Gateway.StopListeningAsync();
        await env.Gateway.StartListeningAsync();
        await Task.WhenAny(copying.Appeared, cli.Exited).WaitAsync(RunTimeout);
        return await cli.KillAsync() ? 1 : 0;
    }

    private static async Task WaitForRequestsOrExitAsync(BatchTestEnvironment env, CliProcess cli, int more)
    {
        using var stop = new CancellationTokenSource();
        var reached = env.Gateway.WaitForRequestsAsync(env.Gateway.Counters.TotalRequests + more, stop.Token);
        await Task.WhenAny(reached, cli.Exited).WaitAsync(RunTimeout);
        await stop.CancelAsync();
    }

    /// <summary>The batch's state agrees with its files, and the copies at the output paths are the store's files.</summary>
    private static async Task AssertStateAgreesAsync(BatchTestEnvironment env, int total, int completed, int failed)
    {
        var directory = Assert.Single(Directory.GetDirectories(StateDir(env)));
        await using var state = File.OpenRead(Path.Combine(directory, "batch.json"));
        var job = (await JsonSerializer.DeserializeAsync(state, BatchJsonContext.Default.BatchJob))!;
        Assert.Equal((BatchStatus.Completed, new BatchRequestCounts(total, completed, failed)), (job.Status, job.RequestCounts));
        Assert.Equal(File.ReadAllBytes(Path.Combine(directory, "output.jsonl")), File.ReadAllBytes(OutputPath(env)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(directory, "errors.jsonl")), File.ReadAllBytes(ErrorsPath(env)));
        Assert.Empty(Directory.GetFiles(env.StoreDirectory, "*.partial"));
    }

    private static async Task<List<string>> ReadStatesAsync(BatchTestEnvironment env)
    {
        var states = new List<string>();
        foreach (var directory in Directory.GetDirectories(StateDir(env)))
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

    private static string OutputPath(BatchTestEnvironment env) => Path.Combine(env.StoreDirectory, "jobs.output.jsonl");

    private static string ErrorsPath(BatchTestEnvironment env) => Path.Combine(env.StoreDirectory, "jobs.errors.jsonl");
}
