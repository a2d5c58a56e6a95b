using LocalBatch.Cli;
using LocalBatch.Tests.Reliability;
using LocalBatch.Tests.Reliability.Harness;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>
/// Ctrl+C always ends localbatch run cleanly: exit 1 and the resume hint, whether it comes during the run or while the
/// results are copied (across file systems), and never a torn or half-written file at the output paths.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class LocalBatchCliInterruptTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task CtrlC_WhileCopyingTheResults_AbandonsTheCopyExitsOneAndTheRerunCopiesThem()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        var output = Path.Combine(env.StoreDirectory, "jobs.output.jsonl");
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        using var interruption = Interruption.From(CancellationToken.None);
        var copying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publish = new PublishOptions
        {
            AllowClone = false, // a copy read and written by the tool, as on another operating system
            BeforeChunk = token =>
            {
                // The copy holds here, as a large one would, until Ctrl+C; then it must stop.
                copying.TrySetResult();
                Assert.True(token.WaitHandle.WaitOne(Bound));
            },
        };

        var running = RunCliAsync(args, interruption, publish);
        await copying.Task.WaitAsync(Bound);
        Assert.True(interruption.Signal());
        var run = await running.WaitAsync(Bound);

        Assert.Equal(ExitCodes.Fatal, run.ExitCode);
        Assert.Contains("interrupted while copying the results to " + output, run.Error, StringComparison.Ordinal);
        Assert.Contains("run the same command again to copy them", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(env.StoreDirectory, "*.partial"));
        Assert.Equal(Total, env.ChatRequests);

        var again = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Equal(Total, env.ChatRequests);
        Assert.Equal(Expected(Total), CustomIds(output));
    }

    [Fact]
    public async Task CtrlC_DuringTheRun_StillCopiesWhatFinished_ASecondOneAbandonsTheCopy()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        var output = Path.Combine(env.StoreDirectory, "jobs.output.jsonl");
        string[] args = ["run", input, "--concurrency", "1", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];

        // The first Ctrl+C stops the run; the copy of what finished goes on and completes.
        env.PauseAtChatRequest(4);
        List<string> copied;
        using (var interruption = Interruption.From(CancellationToken.None))
        {
            var running = RunCliAsync(args, interruption, new PublishOptions { AllowClone = false });
            await env.WaitForPauseAsync();
            interruption.Signal();
            var run = await running.WaitAsync(Bound);

            Assert.Equal(ExitCodes.Fatal, run.ExitCode);
            Assert.Contains("localbatch: interrupted", run.Error, StringComparison.Ordinal);
            var stored = CustomIds(Path.Combine(Assert.Single(Directory.GetDirectories(StateDir(env))), "output.jsonl"));
            copied = CustomIds(output);
            Assert.Equal(stored, copied);
            Assert.NotEmpty(copied);
            Assert.Contains($"{copied.Count} of 6 done (so far in {output}); run the same command again to resume.", run.Error, StringComparison.Ordinal);
        }

        // Interrupted again, and this time Ctrl+C again while copying: the earlier copy stays as it was.
        env.PauseAtChatRequest(2);
        env.Gateway.Resume();
        using (var interruption = Interruption.From(CancellationToken.None))
        {
            var copying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var publish = new PublishOptions
            {
                AllowClone = false,
                BeforeChunk = token =>
                {
                    copying.TrySetResult();
                    Assert.True(token.WaitHandle.WaitOne(Bound));
                },
            };
            var running = RunCliAsync(args, interruption, publish);
            await env.WaitForPauseAsync();
            interruption.Signal();
            await copying.Task.WaitAsync(Bound);
            interruption.Signal();
            var run = await running.WaitAsync(Bound);

            Assert.Equal(ExitCodes.Fatal, run.ExitCode);
            Assert.Contains("interrupted while copying", run.Error, StringComparison.Ordinal);
            Assert.Contains("to copy them and resume", run.Error, StringComparison.Ordinal);
            Assert.Equal(copied, CustomIds(output));
            Assert.Empty(Directory.GetFiles(env.StoreDirectory, "*.partial"));
        }

        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        Assert.Equal(ExitCodes.Success, (await RunCliAsync(args)).ExitCode);
        Assert.Equal(Expected(Total), CustomIds(output));
    }

    [Fact]
    public async Task Sigint_ToTheProcess_EndsItWithExitOneAndTheResumeHint()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        env.PauseAtChatRequest(2);
        using var cli = CliProcess.Start(["run", input, "--concurrency", "1", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)]);
        await Task.WhenAny(env.WaitForPauseAsync(), cli.Exited).WaitAsync(Bound);
        Assert.False(cli.Exited.IsCompleted, cli.Error);

        await cli.SignalAsync("INT");
        var exitCode = await cli.Exited.WaitAsync(Bound);

        Assert.Equal(ExitCodes.Fatal, exitCode);
        Assert.Contains("localbatch: interrupted", cli.Error, StringComparison.Ordinal);
        Assert.Contains("run the same command again to resume", cli.Error, StringComparison.Ordinal);
    }
}
