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
    [Fact]
    public async Task Run_KilledEarlyMidRunWhileTheServerIsDownAndWhileCopying_EveryCustomIdExactlyOnce()
    {
        const int Lines = 600;
        await using var env = await StartAsync();
        env.Gateway.Options.Latency = TimeSpan.FromMilliseconds(5); // 800 answers a second at most: a kill lands near its request
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Lines, i => i % 50 == 0 ? $"FAIL {i}" : $"prompt {i}"));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", StateDir(env)];
        var loop = new CrashLoop(env.Gateway, args, StateDir(env), OutputPath(env));
        var random = new Random(20_240_611);

        bool[] landed =
        [
            await loop.KillAfterRequestsAsync(1),                    // early: at the first request
            await loop.KillAfterRequestsAsync(random.Next(5, 60)),   // mid-run, at random points
            await loop.KillAfterRequestsAsync(random.Next(5, 60)),
            await loop.KillAfterRequestsAsync(random.Next(5, 60)),
            await loop.KillWhileTheServerIsDownAsync(random.Next(5, 40)),
            await loop.KillWhileCopyingAfterAnOutageAsync(random.Next(5, 40)),
        ];
        var final = await loop.RunToEndAsync();

        output.WriteLine($"kills landed: {string.Join(", ", landed)}; {env.ChatRequests} requests sent for {Lines} lines; last run: {final.Error}");
        Assert.Equal(ExitCodes.SomeFailed, final.ExitCode);
        Assert.True(loop.Kills >= 5, $"only {loop.Kills} kills landed while localbatch ran");
        var check = ExactlyOnceCheck.Of([.. Expected(Lines)], OutputPath(env), ErrorsPath(env));
        Assert.True(check.Holds, check.ToString());
        Assert.All(check.Errors, error => Assert.Equal(400, error.Status));
        Assert.Equal(Lines / 50, check.ErrorLines);
        await AssertStateAgreesAsync(env, Lines, Lines - (Lines / 50), Lines / 50);
    }

    [Fact]
    public async Task Run_KilledWhileValidating_LeavesAFailedRunAndTheNextRunStartsAfresh()
    {
        const int Lines = 300;
        await using var env = await StartAsync();
        var big = new string('x', 100_000); // 30 MB of input: validation takes long enough to be caught at it
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Lines, i => $"{i} {big}"));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", StateDir(env)];
        var loop = new CrashLoop(env.Gateway, args, StateDir(env), OutputPath(env));

        // Three kills, and more (up to eight) until one lands while validating: under load a kill can land only after the
        // 30 MB are checked (the watch of the copy is seen late), which leaves a run that the next one resumes.
        for (var attempt = 0; attempt < 3 || (attempt < 8 && loop.KillsWhileValidating == 0); attempt++)
        {
            await loop.KillWhileValidatingAsync(); // throws when a request went out before the input was whole
        }

        var final = await loop.RunToEndAsync();

        Assert.Equal(ExitCodes.Success, final.ExitCode);
        Assert.True(loop.KillsWhileValidating >= 1, "no kill landed while the input was being validated");
        var check = ExactlyOnceCheck.Of([.. Expected(Lines)], OutputPath(env), ErrorsPath(env));
        Assert.True(check.Holds, check.ToString());
        var states = await CrashLoop.ReadStatesAsync(StateDir(env));
        Assert.Single(states, "completed");
        Assert.Equal(states.Count - 1, states.Count(status => status == "failed")); // each run killed while validating
        Assert.DoesNotContain(Directory.GetFiles(StateDir(env), "*", SearchOption.AllDirectories), path => path.EndsWith("input.jsonl.tmp", StringComparison.Ordinal));
    }

    /// <summary>The batch's state agrees with its files, and the copies at the output paths are the store's files.</summary>
    private static async Task AssertStateAgreesAsync(BatchTestEnvironment env, int total, int completed, int failed)
    {
        var directories = Directory.GetDirectories(StateDir(env));
        Assert.True(directories.Length == 1, $"one batch expected in the store; found: {string.Join(", ", await CrashLoop.ReadStatesAsync(StateDir(env)))}");
        var directory = directories[0];
        await using var state = File.OpenRead(Path.Combine(directory, "batch.json"));
        var job = (await JsonSerializer.DeserializeAsync(state, BatchJsonContext.Default.BatchJob))!;
        Assert.Equal((BatchStatus.Completed, new BatchRequestCounts(total, completed, failed)), (job.Status, job.RequestCounts));
        Assert.Equal(File.ReadAllBytes(Path.Combine(directory, "output.jsonl")), File.ReadAllBytes(OutputPath(env)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(directory, "errors.jsonl")), File.ReadAllBytes(ErrorsPath(env)));
        Assert.Empty(Directory.GetFiles(env.StoreDirectory, "*.partial"));
    }

    private static string OutputPath(BatchTestEnvironment env) => Path.Combine(env.StoreDirectory, "jobs.output.jsonl");

    private static string ErrorsPath(BatchTestEnvironment env) => Path.Combine(env.StoreDirectory, "jobs.errors.jsonl");
}
