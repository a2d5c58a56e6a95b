using System.Text.Json;
using LocalBatch.Cli;
using LocalBatch.Tests.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>
/// localbatch run of a file that changed, or whose last run was cancelled: only its new, changed and failed lines are
/// sent, the rest taken from the file's last run, and it says how many; <c>--fresh</c> sends every line.
/// </summary>
public sealed class LocalBatchCliReuseTests
{
    [Fact]
    public async Task Run_InterruptedThenOneCharacterOfAnAnsweredLineEdited_SendsOnlyThatLineAndTheUnanswered()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Fatal, (await RunUntilInterruptedAsync(env, args, pauseAt: 4)).ExitCode);
        var first = Assert.Single(Directory.GetDirectories(StateDir(env)));
        var answered = BatchResumeTests.ReadCustomIds(Path.Combine(first, "output.jsonl")).ToList();
        Assert.InRange(answered.Count, 1, Total - 1);
        var edited = answered[0];
        File.WriteAllText(input, ChatLines(Total, i => $"req-{i}" == edited ? $"prompt {i}!" : $"prompt {i}"));
        var sentBefore = env.ChatRequests;
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var arrivalsBefore = env.ChatArrivals.Count;

        var rerun = await RunCliAsync([.. args, "--json"]);

        Assert.Equal(ExitCodes.Success, rerun.ExitCode);
        var reused = answered.Count - 1;
        Assert.Contains($"reusing {reused} answers from batch {Path.GetFileName(first)} (the file's last run) for the lines unchanged since; sending the other {Total - reused}", rerun.Error, StringComparison.Ordinal);
        Assert.Contains($"completed: {Total} succeeded ({reused} reused), 0 failed of {Total}", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(Total - reused, env.ChatRequests - sentBefore);
        var expectedPrompts = Enumerable.Range(1, Total).Where(i => !answered.Contains($"req-{i}") || $"req-{i}" == edited)
            .Select(i => $"req-{i}" == edited ? $"prompt {i}!" : $"prompt {i}");
        Assert.Equal(expectedPrompts.Order(StringComparer.Ordinal), env.ChatArrivals.Skip(arrivalsBefore).Order(StringComparer.Ordinal));
        Assert.Equal(Expected(Total), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        using var json = JsonDocument.Parse(rerun.Output);
        Assert.Equal(reused, json.RootElement.GetProperty("request_counts").GetProperty("reused").GetInt32());
        Assert.Equal(Total, json.RootElement.GetProperty("request_counts").GetProperty("completed").GetInt32());
    }

    [Fact]
    public async Task Run_EditedFileWithAFailedLine_SendsTheFailedLineAgainWithTheEditedOne()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(4, i => i == 2 ? "FAIL 2" : $"prompt {i}"));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.SomeFailed, (await RunCliAsync(args)).ExitCode);
        File.WriteAllText(input, ChatLines(4, i => i == 2 ? "FAIL 2" : i == 4 ? "prompt 4, edited" : $"prompt {i}"));
        var arrivalsBefore = env.ChatArrivals.Count;

        var rerun = await RunCliAsync(args);

        Assert.Equal(ExitCodes.SomeFailed, rerun.ExitCode);
        Assert.Contains("reusing 2 answers from batch", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(["FAIL 2", "prompt 4, edited"], env.ChatArrivals.Skip(arrivalsBefore).Order(StringComparer.Ordinal));
        Assert.Equal(["req-1", "req-3", "req-4"], CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Equal(["req-2"], CustomIds(Path.Combine(env.StoreDirectory, "jobs.errors.jsonl")));
    }

    [Fact]
    public async Task Run_Fresh_SendsEveryLineOfAnEditedOrUnchangedFile()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(3));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Success, (await RunCliAsync(args)).ExitCode);
        File.WriteAllText(input, ChatLines(3, i => i == 3 ? "prompt 3, edited" : $"prompt {i}"));

        var edited = await RunCliAsync([.. args, "--fresh"]);
        var unchanged = await RunCliAsync([.. args, "--fresh"]);

        Assert.Equal((ExitCodes.Success, ExitCodes.Success), (edited.ExitCode, unchanged.ExitCode));
        Assert.DoesNotContain("reusing", edited.Error + unchanged.Error, StringComparison.Ordinal);
        Assert.Equal(9, env.ChatRequests);
        Assert.Equal(Expected(3), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Equal(3, Directory.GetDirectories(StateDir(env)).Length);
    }

    [Fact]
    public async Task Run_FreshWithRetryFailed_ExitsTwoAndSendsNothing()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));

        var run = await RunCliAsync("run", input, "--fresh", "--retry-failed", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("--fresh", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.ChatRequests);
    }
}
