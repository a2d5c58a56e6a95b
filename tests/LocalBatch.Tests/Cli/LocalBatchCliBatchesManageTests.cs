using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Cli;
using LocalBatch.Cli.Commands;
using LocalBatch.Cli.Run;
using LocalBatch.Server.Tests.Support;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>
/// localbatch batches list at 80 columns (short ids, input files, interrupted runs), delete, prune and watch, the ids
/// they take, and read-only commands that never create a store.
/// </summary>
public sealed class LocalBatchCliBatchesManageTests
{
    [Fact]
    public async Task List_OnAnEightyColumnTerminal_FitsShowsShortIdsAndInputFiles()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "a-rather-long-name-for-the-prompts-of-this-test.jsonl", ChatLines(3));
        Assert.Equal(ExitCodes.Success, (await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env))).ExitCode);
        var id = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));

        var list = await RunCliAsync(["batches", "list", "--state-dir", StateDir(env)], context => context with { OutputTerminal = LiveProgressTests.Terminal(context.Out, 80) });

        Assert.Equal(ExitCodes.Success, list.ExitCode);
        var lines = LiveProgressTests.VisibleLines(list.Output);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, line => Assert.True(line.Length < 80, $"{line.Length} >= 80: {line}"));
        Assert.StartsWith("ID ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith(BatchIds.Short(id) + " ", lines[1], StringComparison.Ordinal);
        Assert.Contains("completed", lines[1], StringComparison.Ordinal);
        Assert.Contains("3/3", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("…" + input[^16..], lines[1], StringComparison.Ordinal); // cut from the left: the name's end shows
    }

    [Fact]
    public async Task List_RunningAndInterruptedRuns_AreToldApart()
    {
        await using var env = await StartAsync(concurrency: 1);
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        await using var runner = new BatchJobManager(env.Processor, new BatchJobManagerOptions { StoreDirectory = StateDir(env) });
        env.PauseAtChatRequest(3);
        var job = await runner.CreateFromFileAsync(input, options: new BatchCreateOptions { Metadata = FileRun.MetadataFor(input, "0") });
        await env.WaitForPauseAsync();

        var whileRunning = await RunCliAsync("batches", "list", "--state-dir", StateDir(env));
        await runner.DisposeAsync(); // its process stops: the batch stays in_progress, and nobody runs it
        var afterStop = await RunCliAsync("batches", "list", "--state-dir", StateDir(env));

        Assert.Contains(BatchIds.Short(job.Id) + "  in_progress", whileRunning.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("interrupted", whileRunning.Output + whileRunning.Error, StringComparison.Ordinal);
        Assert.Contains(BatchIds.Short(job.Id) + "  interrupted", afterStop.Output, StringComparison.Ordinal);
        Assert.Contains("no process runs it now", afterStop.Error, StringComparison.Ordinal);
        Assert.Contains(input, afterStop.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("list", "--json")]
    [InlineData("get", "batch_0123abcd")]
    [InlineData("results", "0123abcd")]
    [InlineData("watch", "0123abcd")]
    [InlineData("delete", "0123abcd")]
    [InlineData("prune", "--older-than", "7d")]
    public async Task ReadOrRemove_NoStore_NeverCreatesOne(params string[] args)
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"), ".localbatch");

        var run = await RunCliAsync(["batches", .. args, "--state-dir", stateDir]);

        Assert.False(Directory.Exists(stateDir), "the command created the store");
        Assert.Equal(args[0] is "list" or "prune" ? ExitCodes.Success : ExitCodes.InvalidInput, run.ExitCode);
        if (args is ["list", "--json"])
        {
            using var page = JsonDocument.Parse(run.Output);
            Assert.Empty(page.RootElement.GetProperty("data").EnumerateArray());
        }
        else
        {
            Assert.Contains($"there is no batch store at {Path.GetFullPath(stateDir)}", run.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("batch_../../etc")]
    [InlineData("/etc/passwd")]
    public async Task Get_PathForAnId_SaysSoPlainly(string id)
    {
        await using var env = await StartAsync();
        Directory.CreateDirectory(StateDir(env));

        var get = await RunCliAsync("batches", "get", id, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, get.ExitCode);
        Assert.Equal($"localbatch: '{id}' is not a batch id: give the id `localbatch batches list` shows (its last 8 characters), or the whole batch_… id.", get.Error.Trim());
        Assert.DoesNotContain("(Parameter", get.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResultsDelete_ShortId_NameTheBatch()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        Assert.Equal(ExitCodes.Success, (await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env))).ExitCode);
        var id = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));

        var get = await RunCliAsync("batches", "get", BatchIds.Short(id), "--state-dir", StateDir(env));
        var results = await RunCliAsync("batches", "results", BatchIds.Short(id).ToUpperInvariant(), "--state-dir", StateDir(env));
        var delete = await RunCliAsync("batches", "delete", BatchIds.Short(id), "--state-dir", StateDir(env));
        var again = await RunCliAsync("batches", "get", BatchIds.Short(id), "--state-dir", StateDir(env));

        using (var batch = JsonDocument.Parse(get.Output))
        {
            Assert.Equal(id, batch.RootElement.GetProperty("id").GetString());
        }

        Assert.Equal(2, Lines(results.Output).Length);
        Assert.Equal(ExitCodes.Success, delete.ExitCode);
        Assert.Equal($"deleted {id} ({input})", delete.Output.Trim());
        Assert.False(Directory.Exists(Path.Combine(StateDir(env), id)));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(Path.GetDirectoryName(input)!, "jobs.output.jsonl")).Length); // the user's file stays
        Assert.Equal(ExitCodes.InvalidInput, again.ExitCode);
        Assert.Contains($"no batch whose id ends in '{BatchIds.Short(id)}'", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_UnfinishedBatch_RefusesAndDeletesNothing()
    {
        await using var env = await StartAsync(concurrency: 1);
        var (completed, unfinished, _) = await CompletedAndInterruptedAsync(env, completedToo: true);
        var doneId = completed!;

        var delete = await RunCliAsync("batches", "delete", doneId, unfinished, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, delete.ExitCode);
        Assert.Contains($"batch {unfinished} is in_progress; only a batch that has ended can be deleted: cancel it first", delete.Error, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetDirectories(StateDir(env)).Length);
    }

    [Fact]
    public async Task Prune_OlderThan_DeletesEndedBatchesOlderThanThatOnly()
    {
        await using var env = await StartAsync(concurrency: 1);
        var (completed, _, _) = await CompletedAndInterruptedAsync(env, completedToo: true);
        var doneId = completed!;
        var inTwoDays = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2));

        var young = await RunCliAsync(["batches", "prune", "--older-than", "3d", "--state-dir", StateDir(env)], context => context with { TimeProvider = inTwoDays });
        var dry = await RunCliAsync(["batches", "prune", "--older-than", "1d", "--dry-run", "--state-dir", StateDir(env)], context => context with { TimeProvider = inTwoDays });
        Assert.Equal(2, Directory.GetDirectories(StateDir(env)).Length);
        var prune = await RunCliAsync(["batches", "prune", "--older-than", "1d", "--state-dir", StateDir(env)], context => context with { TimeProvider = inTwoDays });
        var bad = await RunCliAsync("batches", "prune", "--older-than", "soon", "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, young.ExitCode);
        Assert.Contains("deleted 0 batches", young.Error, StringComparison.Ordinal);
        Assert.Contains($"would delete {doneId} (completed ", dry.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, prune.ExitCode);
        Assert.Contains($"deleted {doneId} (completed ", prune.Output, StringComparison.Ordinal);
        Assert.Contains("deleted 1 batches", prune.Error, StringComparison.Ordinal);
        Assert.Contains("kept 1", prune.Error, StringComparison.Ordinal);
        var left = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));
        Assert.NotEqual(doneId, left);
        Assert.Equal(ExitCodes.InvalidInput, bad.ExitCode);
        Assert.Contains("--older-than must be a positive number followed by s, m, h, d or w", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_BatchAnotherManagerRuns_FollowsItToItsEndAndSendsNothing()
    {
        await using var env = await StartAsync(concurrency: 1);
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        await using var runner = new BatchJobManager(env.Processor, new BatchJobManagerOptions { StoreDirectory = StateDir(env) });
        env.PauseAtChatRequest(3);
        var job = await runner.CreateFromFileAsync(input);
        await env.WaitForPauseAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var stderr = new SignallingWriter();

        var watching = RunCliAsync(["batches", "watch", BatchIds.Short(job.Id), "--state-dir", StateDir(env)], context => context with { TimeProvider = time }, stderr);
        await stderr.WaitForAsync("run by another process");
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        await runner.WaitAsync(job.Id);
        await env.WaitForGatewayIdleAsync();
        var watch = await AdvanceUntilDoneAsync(time, watching);

        Assert.Equal(ExitCodes.Success, watch.ExitCode);
        Assert.Contains($"localbatch: watching batch {job.Id} ({job.InputFileId}): in_progress: ", watch.Error, StringComparison.Ordinal);
        Assert.Contains($"progress: {Total}/{Total} done", watch.Error, StringComparison.Ordinal);
        Assert.Contains($"localbatch: completed: {Total} succeeded, 0 failed of {Total}", watch.Error, StringComparison.Ordinal);
        Assert.Equal(Total, env.ChatRequests); // each line once: the watch sent nothing
    }

    [Fact]
    public async Task Watch_InterruptedBatch_SaysNobodyRunsItUntilOneDoesAndNeverRunsItItself()
    {
        await using var env = await StartAsync(concurrency: 1);
        var (_, id, args) = await CompletedAndInterruptedAsync(env, completedToo: false);
        var sentBefore = env.ChatRequests;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var stderr = new SignallingWriter();

        var watching = RunCliAsync(["batches", "watch", id, "--state-dir", StateDir(env)], context => context with { TimeProvider = time }, stderr);
        await stderr.WaitForAsync("no process runs batch");
        Assert.Equal(sentBefore, env.ChatRequests);
        var resumed = await RunCliAsync(args);
        var watch = await AdvanceUntilDoneAsync(time, watching);

        Assert.Equal(ExitCodes.Success, resumed.ExitCode);
        Assert.Equal(ExitCodes.Success, watch.ExitCode);
        Assert.Contains($"localbatch: no process runs batch {id} now (interrupted)", watch.Error, StringComparison.Ordinal);
        Assert.Contains($"localbatch: completed: {Total} succeeded, 0 failed of {Total}", watch.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_Interrupted_StopsWatchingWithExitOne()
    {
        await using var env = await StartAsync(concurrency: 1);
        var (_, id, _) = await CompletedAndInterruptedAsync(env, completedToo: false);
        using var stderr = new SignallingWriter();
        using var interrupt = new CancellationTokenSource();

        var watching = RunCliAsync(["batches", "watch", id, "--state-dir", StateDir(env)], context => context with { TimeProvider = new FakeTimeProvider() }, stderr, interrupt.Token);
        await stderr.WaitForAsync("no process runs batch");
        await interrupt.CancelAsync();
        var watch = await watching.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(ExitCodes.Fatal, watch.ExitCode);
        Assert.Contains($"localbatch: stopped watching batch {id}", watch.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FileWhoseBatchAnotherProcessRuns_SaysSoAndSendsNothing()
    {
        await using var env = await StartAsync(concurrency: 1);
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        await using var runner = new BatchJobManager(env.Processor, new BatchJobManagerOptions { StoreDirectory = StateDir(env) });
        env.PauseAtChatRequest(2);
        var metadata = FileRun.MetadataFor(input, await RunChecks.HashAsync(input, CancellationToken.None));
        await runner.CreateFromFileAsync(input, options: new BatchCreateOptions { Metadata = metadata });
        await env.WaitForPauseAsync();
        var sent = env.ChatRequests;

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Fatal, run.ExitCode);
        Assert.Contains("is being run by another localbatch process", run.Error, StringComparison.Ordinal);
        Assert.Equal(sent, env.ChatRequests);
    }

    /// <summary>
    /// A one-line file run to its end (when <paramref name="completedToo"/>), then a file of <see cref="Total"/> lines whose
    /// run is interrupted at its third request, the gateway answering again after: the batches' ids, and the command line
    /// that resumes the interrupted one.
    /// </summary>
    private static async Task<(string? CompletedId, string InterruptedId, string[] RunArgs)> CompletedAndInterruptedAsync(BatchTestEnvironment env, bool completedToo)
    {
        string? completedId = null;
        if (completedToo)
        {
            var done = WriteInput(env, "done.jsonl", ChatLines(1));
            Assert.Equal(ExitCodes.Success, (await RunCliAsync("run", done, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env))).ExitCode);
            completedId = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));
        }

        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Fatal, (await RunUntilInterruptedAsync(env, args, pauseAt: 3)).ExitCode);
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var interruptedId = Path.GetFileName(Directory.GetDirectories(StateDir(env)).Single(directory => Path.GetFileName(directory) != completedId));
        return (completedId, interruptedId, args);
    }

    /// <summary>Moves the watch's clock on until it returns (each step past the 5 seconds of a plain progress line).</summary>
    private static async Task<CliRun> AdvanceUntilDoneAsync(FakeTimeProvider time, Task<CliRun> watching)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!watching.IsCompleted)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(30), "the watch never ended");
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(watching, Task.Delay(5));
        }

        return await watching;
    }
}
