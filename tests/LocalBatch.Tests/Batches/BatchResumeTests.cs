using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Batches.Internal;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

public sealed class BatchResumeTests
{
    private const int Total = 8;

    public enum Tear
    {
        None,
        Output,
        Errors,
        WholeLineWithoutNewline,
    }

    [Theory]
    [InlineData(0, Tear.None)]
    [InlineData(1, Tear.None)]
    [InlineData(3, Tear.None)]
    [InlineData(7, Tear.None)]
    [InlineData(0, Tear.Output)]
    [InlineData(2, Tear.Output)]
    [InlineData(5, Tear.Output)]
    [InlineData(3, Tear.Errors)]
    [InlineData(4, Tear.WholeLineWithoutNewline)]
    public async Task WaitAsync_ResumedAfterCrash_AnswersEveryCustomIdOnceWithoutResending(int answeredBeforeCrash, Tear tear)
    {
        // Line 7 fails with a 400, so the error file takes part too. It is never the request the gateway pauses at:
        // a refused request is answered at once even while the gateway is paused.
        await using var env = await StartAsync(concurrency: 1);
        var input = ChatLines(Total, i => i == 7 ? "FAIL 7" : "prompt " + i);
        var id = await StopMidRunAsync(env, input, pauseAtRequest: answeredBeforeCrash + 1);

        var directory = Path.Combine(env.StoreDirectory, id);
        var state = await ReadStateAsync(directory);
        Assert.Equal(BatchStatus.InProgress, state.Status);
        var answered = ReadCustomIds(Path.Combine(directory, "output.jsonl")).Concat(ReadCustomIds(Path.Combine(directory, "errors.jsonl"))).ToList();
        Assert.True(answered.Count <= answeredBeforeCrash, $"{answered.Count} answered before the crash");
        Assert.Equal(answered.Count, answered.Distinct().Count());
        var notAnswered = Enumerable.Range(1, Total).Select(i => $"req-{i}").Except(answered).ToList();
        switch (tear)
        {
            case Tear.Output:
                await File.AppendAllTextAsync(Path.Combine(directory, "output.jsonl"), $$"""{"id":"batch_req_torn","custom_id":"{{notAnswered[0]}}","response":{"status_co""");
                break;
            case Tear.Errors:
                await File.AppendAllTextAsync(Path.Combine(directory, "errors.jsonl"), $$"""{"id":"batch_req_torn","custom_id":"{{notAnswered[0]}}","resp""");
                break;
            case Tear.WholeLineWithoutNewline:
                // A line written whole but without its newline is not known to be complete: it is cut and the request runs again.
                await File.AppendAllTextAsync(Path.Combine(directory, "output.jsonl"), $$"""{"id":"batch_req_torn","custom_id":"{{notAnswered[0]}}","response":null,"error":null}""");
                break;
        }

        var sentBefore = env.ChatRequests;
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();

        await using var second = env.CreateManager();
        var job = await second.WaitAsync(id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        var output = await ReadAllAsync(second.GetResultsAsync(id));
        var errors = await ReadAllAsync(second.GetErrorsAsync(id));
        var all = output.Concat(errors).Select(l => l.CustomId).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(1, Total).Select(i => $"req-{i}").Order(StringComparer.Ordinal), all);
        Assert.Equal(["req-7"], errors.Select(e => e.CustomId));
        Assert.Equal(new BatchRequestCounts(Total, Total - 1, 1), job.RequestCounts);
        Assert.Equal(notAnswered.Count, env.ChatRequests - sentBefore);
        Assert.All(File.ReadAllLines(Path.Combine(directory, "output.jsonl")), line => JsonDocument.Parse(line).Dispose());
        Assert.Equal(await ReadStateAsync(directory), job with { Metadata = null });
    }

    [Fact]
    public async Task WaitAsync_CrashAfterLastAnswerBeforeCompletedState_CompletesWithoutSending()
    {
        await using var env = await StartAsync();
        string id;
        BatchJob completed;
        await using (var first = env.CreateManager())
        {
            id = (await first.CreateAsync(ToStream(ChatLines(Total)))).Id;
            completed = await first.WaitAsync(id);
        }

        var directory = Path.Combine(env.StoreDirectory, id);
        await WriteStateAsync(directory, completed with
        {
            Status = BatchStatus.InProgress,
            FinalizingAt = null,
            CompletedAt = null,
            OutputFileId = null,
            RequestCounts = new BatchRequestCounts(Total, 0, 0),
            Usage = null,
        });
        var sentBefore = env.ChatRequests;

        await using var second = env.CreateManager();
        var job = await second.WaitAsync(id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(Total, Total, 0), job.RequestCounts);
        Assert.Equal(completed.Usage, job.Usage);
        Assert.Equal(completed.OutputFileId, job.OutputFileId);
        Assert.Equal(sentBefore, env.ChatRequests);
        Assert.Equal(Total, File.ReadAllLines(Path.Combine(directory, "output.jsonl")).Length);
    }

    [Fact]
    public async Task ResumeOnStartFalse_UnfinishedBatch_StaysUntilResumeAsync()
    {
        await using var env = await StartAsync(concurrency: 1);
        var id = await StopMidRunAsync(env, ChatLines(3), pauseAtRequest: 1);

        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var sentBefore = env.ChatRequests;
        await using var second = env.CreateManager(new BatchJobManagerOptions { ResumeOnStart = false });

        var stopped = await second.RetrieveAsync(id);
        Assert.Equal(BatchStatus.InProgress, stopped.Status);
        Assert.False(second.IsRunning(id));
        Assert.Equal(sentBefore, env.ChatRequests);

        await second.ResumeAsync(id);
        var job = await second.WaitAsync(id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(sentBefore + 3, env.ChatRequests);
    }

    [Fact]
    public async Task TryStart_TwiceAtOnceInOneProcess_TheSecondJoinsTheFirstsRunner_RatherThanTakeTheBatchForRunElsewhere()
    {
        await using var env = await StartAsync(concurrency: 1);
        var id = await StopMidRunAsync(env, ChatLines(3), pauseAtRequest: 1);

        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        await using var registry = new BatchRunnerRegistry(new BatchStore(env.StoreDirectory), env.Processor, TimeProvider.System, NullLogger.Instance);

        // The first holds the run lock while it reads the state; the second asks meanwhile (a waiter and serve's
        // supervisor did: the waiter took the batch for one run by another process and waited for a tick of a clock
        // that a test never moved).
        var firstStart = registry.TryStartAsync(id, heldLock: null, quiet: true);
        var secondStart = registry.TryStartAsync(id, heldLock: null, quiet: true);
        var (_, runner) = await firstStart;
        var (job, joined) = await secondStart;

        Assert.NotNull(runner);
        Assert.Same(runner, joined);
        Assert.Equal(id, job?.Id);
        Assert.Equal(BatchStatus.Completed, (await runner.Completion.WaitAsync(TimeSpan.FromSeconds(30))).Status);
    }

    [Fact]
    public async Task CreateAsync_SecondManagerOnSameStore_DoesNotRunBatchTwice()
    {
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(1);
        await using var first = env.CreateManager();
        var id = (await first.CreateAsync(ToStream(ChatLines(3)))).Id;
        await env.WaitForPauseAsync();

        await using var second = env.CreateManager();
        var resumed = await second.ResumeAsync();

        Assert.Empty(resumed);
        Assert.False(second.IsRunning(id));
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        Assert.Equal(BatchStatus.Completed, (await first.WaitAsync(id)).Status);
        Assert.Equal(3, env.ChatRequests);
    }

    [Fact]
    public async Task WaitAsync_CrashWhileCancelling_ResumesToCancelledWithoutSending()
    {
        await using var env = await StartAsync(concurrency: 1);
        var id = await StopMidRunAsync(env, ChatLines(4), pauseAtRequest: 2);

        var directory = Path.Combine(env.StoreDirectory, id);
        var state = await ReadStateAsync(directory);
        await WriteStateAsync(directory, state with { Status = BatchStatus.Cancelling, CancellingAt = state.CreatedAt });
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var sentBefore = env.ChatRequests;

        await using var second = env.CreateManager();
        var job = await second.WaitAsync(id);

        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.Equal(state.CreatedAt, job.CancellingAt);
        Assert.NotNull(job.CancelledAt);
        Assert.Equal(sentBefore, env.ChatRequests);
        var lines = (await ReadAllAsync(second.GetResultsAsync(id))).Concat(await ReadAllAsync(second.GetErrorsAsync(id))).ToList();
        Assert.Equal(4, lines.Select(l => l.CustomId).Distinct().Count());
        Assert.Equal(4, lines.Count);
    }

    [Fact]
    public async Task GetResultsAsync_DamagedLineBeforeEnd_ThrowsInvalidData()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2)))).Id);
        var path = manager.GetFilePath(job.Id, BatchFileKind.Output);
        var lines = File.ReadAllLines(path);
        File.WriteAllLines(path, [lines[0][..10], lines[1]]);

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(manager.GetResultsAsync(job.Id)));
    }

    [Fact]
    public async Task ResumeAsync_ResultFileDamagedBeforeEnd_FailsTheRunReleasesTheBatchAndResumesOnceRepaired()
    {
        await using var env = await StartAsync(concurrency: 1);
        var id = await StopMidRunAsync(env, ChatLines(4), pauseAtRequest: 3);

        var output = Path.Combine(env.StoreDirectory, id, "output.jsonl");
        var answered = File.ReadAllLines(output);
        Assert.Equal(2, answered.Length);
        File.WriteAllLines(output, [answered[0][..10], answered[1]]);
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var sentBefore = env.ChatRequests;

        await using var second = env.CreateManager(new BatchJobManagerOptions { ResumeOnStart = false });
        await second.ResumeAsync(id);
        await Assert.ThrowsAsync<InvalidDataException>(() => second.WaitAsync(id));

        Assert.False(second.IsRunning(id));
        using (new FileStream(Path.Combine(env.StoreDirectory, id, "run.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            // The run lock is free: the failed run let go of the batch.
        }

        Assert.Equal(BatchStatus.InProgress, (await second.RetrieveAsync(id)).Status);
        Assert.Equal(sentBefore, env.ChatRequests);

        File.WriteAllLines(output, [answered[0], answered[1]]);
        await second.ResumeAsync(id);
        var job = await second.WaitAsync(id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(4, job.RequestCounts.Completed);
        Assert.Equal(["req-1", "req-2", "req-3", "req-4"], ReadCustomIds(output).Order());
    }

    [Fact]
    public async Task WaitAsync_ServerDownPastEveryRetry_StopsTheRunUnansweredAndResumesWhenItIsBack()
    {
        await using var env = await StartAsync(concurrency: 2);
        await env.Gateway.StopListeningAsync();
        await using var manager = env.CreateManager();
        var id = (await manager.CreateAsync(ToStream(ChatLines(5)))).Id;

        var down = await Assert.ThrowsAsync<LocalGatewayException>(() => manager.WaitAsync(id));

        Assert.Equal(GatewayErrorKind.Unreachable, ((LocalGatewayException)down.InnerException!).Kind);
        Assert.Contains("resume it once the server is back", down.Message, StringComparison.Ordinal);
        var stopped = await manager.RetrieveAsync(id);
        Assert.Equal(BatchStatus.InProgress, stopped.Status);
        Assert.Equal(new BatchRequestCounts(5, 0, 0), stopped.RequestCounts);
        Assert.False(manager.IsRunning(id));
        Assert.Empty(ReadCustomIds(manager.GetFilePath(id, BatchFileKind.Errors)));

        await env.Gateway.StartListeningAsync();
        var job = await manager.WaitAsync(id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(5, 5, 0), job.RequestCounts);
        Assert.Equal(5, env.ChatRequests);
    }

    [Fact]
    public async Task WaitAsync_OneRequestAlwaysBreaksItsConnection_RecordsItAndCompletesTheOthers()
    {
        await using var env = await StartAsync(concurrency: 1);
        await using var manager = env.CreateManager();

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(4, i => i == 2 ? "RESET" : "ok " + i)))).Id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(4, 3, 1), job.RequestCounts);
        var error = Assert.Single(await ReadAllAsync(manager.GetErrorsAsync(job.Id)));
        Assert.Equal(("req-2", "server_unreachable"), (error.CustomId, error.Error!.Code));
    }

    internal static async Task<BatchJob> ReadStateAsync(string directory)
    {
        await using var stream = File.OpenRead(Path.Combine(directory, "batch.json"));
        return (await JsonSerializer.DeserializeAsync(stream, BatchJsonContext.Default.BatchJob))! with { Metadata = null };
    }

    internal static Task WriteStateAsync(string directory, BatchJob job) =>
        File.WriteAllTextAsync(Path.Combine(directory, "batch.json"), JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob));

    /// <summary>
    /// Creates a batch of <paramref name="lines"/> with a first manager and disposes that manager once the gateway holds
    /// request <paramref name="pauseAtRequest"/>: the batch is left in progress, as a killed process leaves it (the
    /// gateway stays paused at that request).
    /// </summary>
    internal static async Task<string> StopMidRunAsync(BatchTestEnvironment env, string lines, int pauseAtRequest)
    {
        env.PauseAtChatRequest(pauseAtRequest);
        await using var first = env.CreateManager();
        var id = (await first.CreateAsync(ToStream(lines))).Id;
        await env.WaitForPauseAsync();
        return id;
    }

    internal static IEnumerable<string> ReadCustomIds(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize(l, BatchJsonContext.Default.BatchResultLine)!.CustomId).ToList()
            : [];
}
