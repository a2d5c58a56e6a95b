using LocalBatch.Cli;
using LocalBatch.Tests.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;
/// <summary>localbatch run: exit codes, result files, validation, resume and the newest run of a file.</summary>
public sealed class LocalBatchCliRunTests
{
    [Fact]
    public async Task Run_AllSucceed_ExitsZeroAndWritesOutputAtDefaultPath()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var outputPath = Path.Combine(Path.GetDirectoryName(input)!, "jobs.output.jsonl");
        Assert.Equal(Expected(Total), CustomIds(outputPath));
        Assert.Empty(File.ReadAllLines(Path.Combine(Path.GetDirectoryName(input)!, "jobs.errors.jsonl")));
        Assert.Equal(Total, env.ChatRequests);
        Assert.Contains("completed: 6 succeeded, 0 failed of 6", run.Error, StringComparison.Ordinal);
        Assert.Contains(outputPath, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ResponsesLines_ExitsZeroWithResponseObjectsAndTheirTokensInTheJsonSummary()
    {
        await using var env = await StartAsync();
        var lines = string.Concat(Enumerable.Range(1, 3).Select(i =>
            $$$"""{"custom_id":"req-{{{i}}}","method":"POST","url":"/v1/responses","body":{"input":"question {{{i}}}","max_output_tokens":4}}""" + "\n"));
        var input = WriteInput(env, "responses.jsonl", lines);

        var run = await RunCliAsync("run", input, "--json", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var output = File.ReadAllLines(Path.Combine(Path.GetDirectoryName(input)!, "responses.output.jsonl"));
        Assert.Equal(3, output.Length);
        Assert.All(output, line => Assert.Contains("\"object\":\"response\"", line, StringComparison.Ordinal));
        using var summary = System.Text.Json.JsonDocument.Parse(run.Output);
        Assert.Equal(12, summary.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt64());
        Assert.True(summary.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        Assert.Contains("running 3 requests to /v1/responses", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OutputAndErrorsOptions_WritesThere()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(3, i => i == 3 ? "FAIL" : "ok"));
        var output = Path.Combine(env.StoreDirectory, "out", "answers.jsonl");
        var errors = Path.Combine(env.StoreDirectory, "out", "failed.jsonl");

        var run = await RunCliAsync("run", input, "-o", output, "-e", errors, "--concurrency", "2", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.SomeFailed, run.ExitCode);
        Assert.Equal(["req-1", "req-2"], CustomIds(output));
        Assert.Equal(["req-3"], CustomIds(errors));
    }

    [Fact]
    public async Task Run_SomeLinesFail_ExitsThreeAndWritesErrorsFile()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total, i => i % 3 == 0 ? "FAIL " + i : "ok " + i));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "3", "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.SomeFailed, run.ExitCode);
        var directory = Path.GetDirectoryName(input)!;
        Assert.Equal(["req-1", "req-2", "req-4", "req-5"], CustomIds(Path.Combine(directory, "jobs.output.jsonl")));
        Assert.Equal(["req-3", "req-6"], CustomIds(Path.Combine(directory, "jobs.errors.jsonl")));
        Assert.Contains("4 succeeded, 2 failed of 6", run.Error, StringComparison.Ordinal);
        Assert.Contains("jobs.errors.jsonl", run.Error, StringComparison.Ordinal);
        Assert.True(env.Gateway.Counters.PeakInFlight <= 3);
    }

    [Fact]
    public async Task Run_InvalidInput_ExitsTwoPrintsEveryLineErrorAndSendsNothing()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "bad.jsonl", ChatLine("a") + "\n" + ChatLine("a") + "\n{oops\n" + ChatLine("c", url: "/v1/embeddings") + "\n");

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("nothing was sent", run.Error, StringComparison.Ordinal);
        Assert.Contains("line 2: duplicate_custom_id: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("line 3: invalid_json_line: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("line 4: mismatched_url: ", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.ChatRequests); // only the start-up look at /health
        Assert.False(File.Exists(Path.Combine(env.StoreDirectory, "bad.output.jsonl")));
    }

    [Fact]
    public async Task Run_MissingFile_ExitsTwo()
    {
        await using var env = await StartAsync();

        var run = await RunCliAsync("run", Path.Combine(env.StoreDirectory, "nope.jsonl"), "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("does not exist", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData("--concurrency", "0")]
    [InlineData("--concurrency", "many")]
    [InlineData("--concurrency", "5000")]
    [InlineData("--endpoint", "ftp://127.0.0.1:1")]
    [InlineData("--no-such-option", "1")]
    public async Task Run_BadOption_ExitsTwoAndSendsNothing(string option, string value)
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        string[] args = option == "--endpoint"
            ? ["run", input, option, value, "--state-dir", StateDir(env)]
            : ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), option, value, "--state-dir", StateDir(env)];

        var run = await RunCliAsync(args);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.StartsWith("localbatch: ", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task Run_CompletedFileAgain_SendsNothingAndRewritesOutput()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Success, (await RunCliAsync(args)).ExitCode);
        var outputPath = Path.Combine(env.StoreDirectory, "jobs.output.jsonl");
        var firstOutput = File.ReadAllText(outputPath);
        File.Delete(outputPath);

        var again = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Equal(Total, env.ChatRequests);
        Assert.Equal(firstOutput, File.ReadAllText(outputPath));
        Assert.Single(Directory.GetDirectories(StateDir(env)));
    }

    [Fact]
    public async Task Run_ChangedFile_StartsNewBatchSendingOnlyTheNewLine()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Success, (await RunCliAsync(args)).ExitCode);
        File.WriteAllText(input, ChatLines(3));

        var again = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Equal(3, env.ChatRequests);
        Assert.Equal(Expected(3), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Equal(2, Directory.GetDirectories(StateDir(env)).Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Run_InterruptedThenRerun_ExitsOneThenResumesWithoutResending(int pauseAt)
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total, i => i == 2 ? "FAIL" : "ok " + i));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--state-dir", StateDir(env)];
        var first = await RunUntilInterruptedAsync(env, args, pauseAt);

        Assert.Equal(ExitCodes.Fatal, first.ExitCode);
        Assert.Contains("interrupted", first.Error, StringComparison.Ordinal);
        var batchDirectory = Assert.Single(Directory.GetDirectories(StateDir(env)));
        var answered = BatchResumeTests.ReadCustomIds(Path.Combine(batchDirectory, "output.jsonl"))
            .Concat(BatchResumeTests.ReadCustomIds(Path.Combine(batchDirectory, "errors.jsonl"))).ToList();
        Assert.True(answered.Count < pauseAt);
        Assert.Equal( // what finished is also at the output path already, in whole lines
            BatchResumeTests.ReadCustomIds(Path.Combine(batchDirectory, "output.jsonl")).Order(StringComparer.Ordinal),
            CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        var sentBefore = env.ChatRequests;
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();

        var second = await RunCliAsync(args);

        Assert.Equal(ExitCodes.SomeFailed, second.ExitCode);
        Assert.Contains("resuming batch", second.Error, StringComparison.Ordinal);
        Assert.Equal(Total - answered.Count, env.ChatRequests - sentBefore);
        Assert.Equal(Expected(Total).Where(id => id != "req-2"), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Equal(["req-2"], CustomIds(Path.Combine(env.StoreDirectory, "jobs.errors.jsonl")));
        Assert.Single(Directory.GetDirectories(StateDir(env)));
    }

    [Fact]
    public async Task Run_NewestRunOfTheFileWasCancelled_StartsAfreshEvenThoughAnOlderRunCompleted()
    {
        await using var env = await StartAsync(concurrency: 1);
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Success, (await RunCliAsync(args)).ExitCode);
        var completedId = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));
        await using (var manager = new LocalBatch.Batches.BatchJobManager(env.Processor, new LocalBatch.Batches.BatchJobManagerOptions { StoreDirectory = StateDir(env) }))
        {
            // A second run of the same file (as `localbatch run` labels it), cancelled before it sent anything.
            var metadata = (await manager.RetrieveAsync(completedId)).Metadata;
            env.Gateway.Pause();
            var newer = await manager.CreateFromFileAsync(input, options: new LocalBatch.Batches.BatchCreateOptions { Metadata = metadata });
            await manager.CancelAsync(newer.Id);
            Assert.Equal(LocalBatch.Batches.BatchStatus.Cancelled, (await manager.WaitAsync(newer.Id)).Status);
            env.Gateway.Resume();
        }

        var sentBefore = env.ChatRequests;

        var again = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Equal(sentBefore + Total, env.ChatRequests);
        Assert.Equal(3, Directory.GetDirectories(StateDir(env)).Length);
    }

    [Fact]
    public async Task Run_ResultFileDamaged_ExitsOneWithTheCauseAndResumesOnceRepaired()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Fatal, (await RunUntilInterruptedAsync(env, args, pauseAt: 4)).ExitCode);
        var output = Path.Combine(Assert.Single(Directory.GetDirectories(StateDir(env))), "output.jsonl");
        var answered = File.ReadAllLines(output);
        Assert.True(answered.Length >= 2);
        File.WriteAllLines(output, [answered[0][..10], .. answered[1..]]);
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var sentBefore = env.ChatRequests;

        var damaged = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Fatal, damaged.ExitCode);
        Assert.Contains("stopped: The result file", damaged.Error, StringComparison.Ordinal);
        Assert.Contains("run the same command again to resume", damaged.Error, StringComparison.Ordinal);
        Assert.Equal(sentBefore, env.ChatRequests);

        File.WriteAllLines(output, answered);
        var repaired = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, repaired.ExitCode);
        Assert.Equal(sentBefore + Total - answered.Length, env.ChatRequests);
        Assert.Equal(Expected(Total), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
    }

    [Fact]
    public async Task Run_NewestRunLeftCancelling_FinishesTheCancellationThenSendsOnlyWhatItHadNotAnswered()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Fatal, (await RunUntilInterruptedAsync(env, args, pauseAt: 3)).ExitCode);
        var directory = Assert.Single(Directory.GetDirectories(StateDir(env)));
        var state = await BatchResumeTests.ReadStateAsync(directory);
        await BatchResumeTests.WriteStateAsync(directory, state with { Status = LocalBatch.Batches.BatchStatus.Cancelling, Metadata = (await ReadMetadataAsync(directory)) });
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var sentBefore = env.ChatRequests;

        var rerun = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, rerun.ExitCode);
        var answered = BatchResumeTests.ReadCustomIds(Path.Combine(directory, "output.jsonl")).Count();
        Assert.Equal(sentBefore + Total - answered, env.ChatRequests);
        Assert.Equal(Expected(Total), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Equal(2, Directory.GetDirectories(StateDir(env)).Length);
        Assert.Equal(LocalBatch.Batches.BatchStatus.Cancelled, (await BatchResumeTests.ReadStateAsync(directory)).Status);
    }

    [Fact]
    public async Task Run_TokenAlreadyCancelled_ExitsOneAndSendsNothing()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();

        var run = await RunCliAsync(["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)], interrupt.Token);

        Assert.Equal(ExitCodes.Fatal, run.ExitCode);
        Assert.Equal(0, env.ChatRequests);
    }

    [Fact]
    public async Task Run_AfterRetryFailedOfItsBatch_StillFindsTheOriginalRun()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(3, i => i == 3 ? "FAIL" : "ok"));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.SomeFailed, (await RunCliAsync(args)).ExitCode);
        var id = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));
        await using (var manager = new LocalBatch.Batches.BatchJobManager(env.Processor, new LocalBatch.Batches.BatchJobManagerOptions { StoreDirectory = StateDir(env) }))
        {
            await manager.WaitAsync((await manager.RetryFailedAsync(id)).Id);
        }

        var again = await RunCliAsync(args);

        Assert.Equal(ExitCodes.SomeFailed, again.ExitCode);
        Assert.Equal(["req-1", "req-2"], CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Equal(4, env.ChatRequests);
    }
}
