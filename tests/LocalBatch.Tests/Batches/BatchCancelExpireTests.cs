using LocalBatch.Batches;
using Microsoft.Extensions.Time.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

public sealed class BatchCancelExpireTests
{
    private const int Total = 6;

    [Fact]
    public async Task CancelAsync_Running_KeepsResultsAndRecordsUnrunAsBatchCancelled()
    {
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(3);
        await using var manager = env.CreateManager();
        var id = (await manager.CreateAsync(ToStream(ChatLines(Total)))).Id;
        await env.WaitForPauseAsync();

        var cancelling = await manager.CancelAsync(id);
        var job = await manager.WaitAsync(id);

        Assert.Contains(cancelling.Status, new[] { BatchStatus.Cancelling, BatchStatus.Cancelled });
        Assert.NotNull(cancelling.CancellingAt);
        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.NotNull(job.CancelledAt);
        Assert.NotNull(job.CancellingAt);
        Assert.Null(job.CompletedAt);
        var output = await ReadAllAsync(manager.GetResultsAsync(id));
        var errors = await ReadAllAsync(manager.GetErrorsAsync(id));
        Assert.Subset(new HashSet<string> { "req-1", "req-2" }, output.Select(o => o.CustomId).ToHashSet());
        Assert.All(output, line => Assert.Equal(200, line.Response!.StatusCode));
        Assert.All(errors, line =>
        {
            Assert.Null(line.Response);
            Assert.Equal("batch_cancelled", line.Error!.Code);
            Assert.StartsWith("batch_req_", line.Id, StringComparison.Ordinal);
        });
        Assert.Contains("req-3", errors.Select(e => e.CustomId));
        Assert.Equal(Enumerable.Range(1, Total).Select(i => $"req-{i}").Order(StringComparer.Ordinal), output.Concat(errors).Select(l => l.CustomId).Order(StringComparer.Ordinal));
        Assert.Equal(new BatchRequestCounts(Total, output.Count, errors.Count), job.RequestCounts);
        Assert.Equal(errors.Count > 0 ? job.ErrorFileId : null, job.ErrorFileId);
        Assert.NotNull(job.ErrorFileId);
        Assert.Equal(3, env.ChatRequests);
        Assert.False(manager.IsRunning(id));
        Assert.Equal(BatchStatus.Cancelled, (await manager.RetrieveAsync(id)).Status);
    }

    [Fact]
    public async Task CancelAsync_Running_ThenProcessKilled_ResumesIntoCancelledWithoutSending()
    {
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(3);
        await using var manager = env.CreateManager();
        var id = (await manager.CreateAsync(ToStream(ChatLines(Total)))).Id;
        await env.WaitForPauseAsync();

        await manager.CancelAsync(id);

        // A kill right after CancelAsync returned: a copy of the batch's folder as it is now, opened by a new manager.
        var killedStore = Path.Combine(env.StoreDirectory, "killed");
        Directory.CreateDirectory(Path.Combine(killedStore, id));
        // The runner still writes: a temporary file (batch.json.tmp) may be renamed away between listing and copying, and a
        // killed process's temporary files are not part of its state anyway.
        foreach (var file in Directory.GetFiles(Path.Combine(env.StoreDirectory, id)).Where(f => !f.EndsWith("run.lock", StringComparison.Ordinal) && !f.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(killedStore, id, Path.GetFileName(file)));
        }

        await manager.WaitAsync(id);
        var sentBefore = env.ChatRequests;
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        await using var resumed = new BatchJobManager(env.Processor, new BatchJobManagerOptions { StoreDirectory = killedStore });
        var job = await resumed.WaitAsync(id);

        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.Equal(sentBefore, env.ChatRequests);
        var lines = (await ReadAllAsync(resumed.GetResultsAsync(id))).Concat(await ReadAllAsync(resumed.GetErrorsAsync(id))).ToList();
        Assert.Equal(Enumerable.Range(1, Total).Select(i => $"req-{i}").Order(StringComparer.Ordinal), lines.Select(l => l.CustomId).Order(StringComparer.Ordinal));
        Assert.Equal(new BatchRequestCounts(Total, lines.Count(l => l.Error is null), lines.Count(l => l.Error is not null)), job.RequestCounts);
    }

    [Fact]
    public async Task CancelAsync_SeveralAtOnceAfterTheMarkerWasFound_EveryAnswerShowsTheCancel()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(2);
        await using var manager = env.CreateManager(timeProvider: time);
        var id = (await manager.CreateAsync(ToStream(ChatLines(Total)))).Id;
        await env.WaitForPauseAsync();

        // Another process's cancel, found by the run's watch of the marker (which stops the run without answering anyone),
        // then four callers here at once: each answer shows the cancellation, whichever request came first.
        await File.WriteAllTextAsync(Path.Combine(env.StoreDirectory, id, "cancel.requested"), string.Empty);
        time.Advance(TimeSpan.FromSeconds(1));
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => manager.CancelAsync(id)));

        Assert.All(answers, answer =>
        {
            Assert.Contains(answer.Status, new[] { BatchStatus.Cancelling, BatchStatus.Cancelled });
            Assert.NotNull(answer.CancellingAt);
        });
        Assert.Equal(BatchStatus.Cancelled, (await manager.WaitAsync(id)).Status);
    }

    [Fact]
    public async Task CancelAsync_Completed_ThrowsInvalidOperation()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(1)))).Id);

        await Assert.ThrowsAsync<InvalidOperationException>(() => manager.CancelAsync(job.Id));
    }

    [Fact]
    public async Task CancelAsync_UnknownId_ThrowsKeyNotFound()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        await Assert.ThrowsAsync<KeyNotFoundException>(() => manager.CancelAsync("batch_feedface"));
    }

    [Fact]
    public async Task CancelAsync_StoppedBatchNotRunAnywhere_FinishesCancelledWithoutSending()
    {
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(2);
        string id;
        await using (var first = env.CreateManager())
        {
            id = (await first.CreateAsync(ToStream(ChatLines(Total)))).Id;
            await env.WaitForPauseAsync();
        }

        var sentBefore = env.ChatRequests;
        await using var second = env.CreateManager(new BatchJobManagerOptions { ResumeOnStart = false });

        await second.CancelAsync(id);
        var job = await second.WaitAsync(id);

        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.Equal(sentBefore, env.ChatRequests);
        var output = await ReadAllAsync(second.GetResultsAsync(id));
        var errors = await ReadAllAsync(second.GetErrorsAsync(id));
        Assert.Equal(Total, output.Count + errors.Count);
        Assert.All(errors, e => Assert.Equal("batch_cancelled", e.Error!.Code));
        Assert.False(File.Exists(Path.Combine(env.StoreDirectory, id, "cancel.requested")));
    }

    [Fact]
    public async Task CancelAsync_FromAnotherManager_RunningManagerStopsTheBatch()
    {
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(1);
        await using var running = env.CreateManager();
        var id = (await running.CreateAsync(ToStream(ChatLines(Total)))).Id;
        await env.WaitForPauseAsync();
        await using var other = env.CreateManager(new BatchJobManagerOptions { ResumeOnStart = false });

        var asked = await other.CancelAsync(id);
        var job = await running.WaitAsync(id);

        Assert.Equal(BatchStatus.Cancelling, asked.Status);
        Assert.False(other.IsRunning(id));
        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.Equal(new BatchRequestCounts(Total, 0, Total), job.RequestCounts);
        Assert.Equal(1, env.ChatRequests);
    }

    [Fact]
    public async Task WaitAsync_WindowEndsWhileRunning_ExpiresAndRecordsUnrunAsBatchExpired()
    {
        await using var env = await StartAsync(concurrency: 1);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        env.PauseAtChatRequest(3);
        await using var manager = env.CreateManager(new BatchJobManagerOptions { CompletionWindowDuration = TimeSpan.FromMinutes(1) }, time);
        var created = await manager.CreateAsync(ToStream(ChatLines(Total)));
        await env.WaitForPauseAsync();

        time.Advance(TimeSpan.FromMinutes(2));
        var job = await manager.WaitAsync(created.Id);

        Assert.Equal(1_700_000_060, created.ExpiresAt);
        Assert.Equal(BatchStatus.Expired, job.Status);
        Assert.Equal(1_700_000_120, job.ExpiredAt);
        Assert.Null(job.CompletedAt);
        Assert.Null(job.CancelledAt);
        var output = await ReadAllAsync(manager.GetResultsAsync(created.Id));
        var errors = await ReadAllAsync(manager.GetErrorsAsync(created.Id));
        Assert.Subset(new HashSet<string> { "req-1", "req-2" }, output.Select(o => o.CustomId).ToHashSet());
        Assert.All(errors, e => Assert.Equal(("batch_expired", null), (e.Error!.Code, e.Response)));
        Assert.Equal(Total, output.Concat(errors).Select(l => l.CustomId).Distinct().Count());
        Assert.Equal(Total, output.Count + errors.Count);
        Assert.Equal(new BatchRequestCounts(Total, output.Count, errors.Count), job.RequestCounts);
        Assert.Equal(3, env.ChatRequests);
    }

    [Fact]
    public async Task WaitAsync_ResumedAfterWindowEnded_ExpiresWithoutSending()
    {
        await using var env = await StartAsync(concurrency: 1);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var options = new BatchJobManagerOptions { CompletionWindowDuration = TimeSpan.FromMinutes(1) };
        env.PauseAtChatRequest(1);
        string id;
        await using (var first = env.CreateManager(options, time))
        {
            id = (await first.CreateAsync(ToStream(ChatLines(Total)))).Id;
            await env.WaitForPauseAsync();
        }

        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        time.Advance(TimeSpan.FromHours(1));
        var sentBefore = env.ChatRequests;
        await using var second = env.CreateManager(options, time);

        var job = await second.WaitAsync(id);

        Assert.Equal(BatchStatus.Expired, job.Status);
        Assert.Equal(new BatchRequestCounts(Total, 0, Total), job.RequestCounts);
        Assert.Equal(sentBefore, env.ChatRequests);
        Assert.All(await ReadAllAsync(second.GetErrorsAsync(id)), e => Assert.Equal("batch_expired", e.Error!.Code));
    }
}
