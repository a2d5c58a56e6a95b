using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Testing;
using Microsoft.Extensions.Options;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

public sealed class BatchJobManagerTests
{
    [Fact]
    public async Task WaitAsync_MixedBatch_CompletesWithEveryCustomIdOnceAndRightCounts()
    {
        await using var env = await StartAsync(concurrency: 4);
        env.Gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable));
        env.Gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.InternalServerError));
        await using var manager = env.CreateManager();

        var created = await manager.CreateAsync(ToStream(ChatLines(20, i => i % 5 == 0 ? "FAIL " + i : "prompt " + i)));
        var job = await manager.WaitAsync(created.Id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(20, 16, 4), job.RequestCounts);
        Assert.NotNull(job.InProgressAt);
        Assert.NotNull(job.FinalizingAt);
        Assert.NotNull(job.CompletedAt);
        Assert.True(job.CompletedAt >= job.FinalizingAt && job.FinalizingAt >= job.InProgressAt && job.InProgressAt >= job.CreatedAt);
        Assert.Equal(job.CreatedAt + (24 * 3600), job.ExpiresAt);
        Assert.NotNull(job.OutputFileId);
        Assert.NotNull(job.ErrorFileId);
        Assert.NotEqual(job.OutputFileId, job.ErrorFileId);

        var output = await ReadAllAsync(manager.GetResultsAsync(job.Id));
        var errors = await ReadAllAsync(manager.GetErrorsAsync(job.Id));
        Assert.Equal(16, output.Count);
        Assert.Equal(4, errors.Count);
        Assert.All(output, line => Assert.Equal(200, line.Response!.StatusCode));
        Assert.All(errors, line => Assert.Equal(400, line.Response!.StatusCode));
        Assert.Equal(["req-10", "req-15", "req-20", "req-5"], errors.Select(e => e.CustomId).Order(StringComparer.Ordinal));
        var all = output.Concat(errors).Select(l => l.CustomId).ToList();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"req-{i}").Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
        Assert.Equal(20, output.Concat(errors).Select(l => l.Id).Distinct().Count());

        // Every line sent once, plus the two transient faults retried.
        Assert.Equal(22, env.ChatRequests);
        Assert.True(env.Gateway.Counters.PeakInFlight <= 4);
        await env.WaitForGatewayIdleAsync();
        Assert.Equal(env.Gateway.Counters.PromptTokens, job.Usage!.InputTokens);
        Assert.Equal(env.Gateway.Counters.CompletionTokens, job.Usage.OutputTokens);
        Assert.Equal(job.Usage.InputTokens + job.Usage.OutputTokens, job.Usage.TotalTokens);
        Assert.False(manager.IsRunning(job.Id));
    }

    [Fact]
    public async Task RetrieveAsync_AfterCompletion_ReadsPersistedStateInNewManager()
    {
        await using var env = await StartAsync();
        BatchJob job;
        await using (var first = env.CreateManager())
        {
            job = await first.WaitAsync((await first.CreateAsync(ToStream(ChatLines(3)))).Id);
        }

        await using var second = env.CreateManager();
        var stored = await second.RetrieveAsync(job.Id);

        Assert.Equal(job, stored with { Metadata = job.Metadata });
        Assert.Equal(3, env.ChatRequests);
    }

    [Fact]
    public async Task RetrieveAsync_UnknownId_ThrowsKeyNotFound()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        await Assert.ThrowsAsync<KeyNotFoundException>(() => manager.RetrieveAsync("batch_0123456789abcdef"));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("batch_../../etc")]
    [InlineData("batch_")]
    [InlineData("batch_abc/def")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public async Task RetrieveAsync_InvalidOrEscapingId_ThrowsArgumentException(string id)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.RetrieveAsync(id));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.CancelAsync(id));
        Assert.ThrowsAny<ArgumentException>(() => manager.GetFilePath(id, BatchFileKind.Output));
        Assert.ThrowsAny<ArgumentException>(() => manager.GetResultsAsync(id));
    }

    [Fact]
    public async Task ListAsync_ManyBatches_PagesNewestFirstWithAfterAndLimit()
    {
        await using var env = await StartAsync();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        await using var manager = env.CreateManager(timeProvider: time);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await manager.CreateAsync(ToStream("{bad\n"))).Id);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        ids.Reverse();
        var first = await manager.ListAsync(limit: 2);
        var second = await manager.ListAsync(after: first.LastId, limit: 2);
        var third = await manager.ListAsync(after: second.LastId, limit: 2);
        var all = await manager.ListAsync();

        Assert.Equal(ids[..2], first.Data.Select(j => j.Id));
        Assert.Equal((ids[0], ids[1], true), (first.FirstId, first.LastId, first.HasMore));
        Assert.Equal(ids[2..4], second.Data.Select(j => j.Id));
        Assert.True(second.HasMore);
        Assert.Equal([ids[4]], third.Data.Select(j => j.Id));
        Assert.Equal((ids[4], ids[4], false), (third.FirstId, third.LastId, third.HasMore));
        Assert.Equal(ids, all.Data.Select(j => j.Id));
        Assert.False(all.HasMore);
        Assert.Equal(ids, await manager.ListAllAsync().Select(j => j.Id).ToListAsync());
    }

    [Fact]
    public async Task GetFilePath_EveryKind_IsTheFileInTheBatchsFolder()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2)))).Id);

        Assert.Equal(2, File.ReadAllLines(manager.GetFilePath(job.Id, BatchFileKind.Input)).Length);
        Assert.Equal(2, File.ReadAllLines(manager.GetFilePath(job.Id, BatchFileKind.Output)).Length);
        Assert.Empty(File.ReadAllLines(manager.GetFilePath(job.Id, BatchFileKind.Errors)));
        Assert.Throws<ArgumentException>(() => manager.GetFilePath(job.Id, (BatchFileKind)9));
    }

    [Fact]
    public void NewBatchId_ManyInTheSameMillisecond_SortInTheOrderMade()
    {
        var now = DateTimeOffset.UtcNow;

        var ids = Enumerable.Range(0, 1_000).Select(_ => LocalBatch.Batches.Internal.BatchStore.NewBatchId(now)).ToList();

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.All(ids, id => Assert.True(LocalBatch.Batches.Internal.BatchStore.IsValidId(id)));
    }

    [Fact]
    public async Task ListAsync_EmptyStore_ReturnsEmptyPage()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var page = await manager.ListAsync();

        Assert.Empty(page.Data);
        Assert.Null(page.FirstId);
        Assert.Null(page.LastId);
        Assert.False(page.HasMore);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task ListAsync_LimitOutOfRange_Throws(int limit)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => manager.ListAsync(limit: limit));
    }

    [Fact]
    public async Task RetryFailedAsync_SomeFailed_CreatesBatchOfJustFailedLines()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var original = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(6, i => i is 2 or 5 ? "FAIL " + i : "ok " + i)))).Id);
        Assert.Equal(new BatchRequestCounts(6, 4, 2), original.RequestCounts);

        var retry = await manager.RetryFailedAsync(original.Id);
        var final = await manager.WaitAsync(retry.Id);

        Assert.NotEqual(original.Id, retry.Id);
        Assert.Equal(original.Id, retry.Metadata!["retry_of"]);
        Assert.Equal(2, final.RequestCounts.Total);
        var errors = await ReadAllAsync(manager.GetErrorsAsync(final.Id));
        Assert.Equal(["req-2", "req-5"], errors.Select(e => e.CustomId).Order(StringComparer.Ordinal));
        Assert.Equal(8, env.ChatRequests);
        Assert.Empty(Directory.GetFiles(Path.Combine(manager.StoreDirectory, original.Id), "retry*"));
    }

    [Fact]
    public async Task RetryFailedAsync_TwoAtOnce_EachGetsEveryFailedLine()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var original = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(300, i => i % 3 == 0 ? "FAIL " + i : "ok " + i)))).Id);

        var retries = await Task.WhenAll(manager.RetryFailedAsync(original.Id), manager.RetryFailedAsync(original.Id));

        foreach (var retry in retries)
        {
            Assert.Equal(BatchStatus.InProgress, retry.Status);
            Assert.Equal(100, (await manager.WaitAsync(retry.Id)).RequestCounts.Total);
        }
    }

    [Fact]
    public async Task Operations_AnotherBatchStateDamaged_SkipThatOneAndWorkForTheRest()
    {
        await using var env = await StartAsync();
        string good, bad;
        await using (var first = env.CreateManager())
        {
            good = (await first.WaitAsync((await first.CreateAsync(ToStream(ChatLines(1)))).Id)).Id;
            bad = (await first.WaitAsync((await first.CreateAsync(ToStream(ChatLines(1)))).Id)).Id;
        }

        File.WriteAllText(Path.Combine(env.StoreDirectory, bad, "batch.json"), """{"id":"x","status":"paused"}""");
        await using var manager = env.CreateManager();

        var created = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(1)))).Id);
        var listed = (await manager.ListAsync()).Data.Select(b => b.Id).ToList();
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => manager.RetrieveAsync(bad));

        Assert.Equal(BatchStatus.Completed, created.Status);
        Assert.Equal(new[] { created.Id, good }.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Contains(bad, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_NoCompletionWindow_NeverExpires()
    {
        await using var env = await StartAsync();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        env.Gateway.Pause();
        await using var manager = env.CreateManager(new BatchJobManagerOptions { CompletionWindowDuration = Timeout.InfiniteTimeSpan }, time);
        var job = await manager.CreateAsync(ToStream(ChatLines(2)));
        await env.Gateway.WaitForInFlightAsync(1);

        time.Advance(TimeSpan.FromHours(25)); // past the default 24 h window
        env.Gateway.Resume();
        var final = await manager.WaitAsync(job.Id);

        Assert.Null(job.ExpiresAt);
        Assert.Equal(BatchStatus.Completed, final.Status);
        Assert.Equal(2, final.RequestCounts.Completed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void Constructor_CompletionWindowOutOfRange_Throws(int days)
    {
        var options = new BatchJobManagerOptions { StoreDirectory = Path.GetTempPath(), CompletionWindowDuration = TimeSpan.FromDays(days) };

        var error = Assert.Throws<OptionsValidationException>(() => new BatchJobManager(new LocalBatchProcessor(new Uri("http://127.0.0.1:1")), options));

        Assert.Contains("CompletionWindowDuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryFailedAsync_NothingFailed_ThrowsInvalidOperation()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2)))).Id);

        await Assert.ThrowsAsync<InvalidOperationException>(() => manager.RetryFailedAsync(job.Id));
    }

    [Fact]
    public async Task CreateAsync_Embeddings_CoalescedIntoOneCallAndSplitBackPerLine()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = """{"custom_id":"e1","method":"POST","url":"/v1/embeddings","body":{"input":"hello"}}""" + "\n"
            + """{"custom_id":"e2","method":"POST","url":"/v1/embeddings","body":{"input":["a","b"]}}""" + "\n";

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(input))).Id);

        Assert.Equal(("/v1/embeddings", BatchStatus.Completed, 2), (job.Endpoint, job.Status, job.RequestCounts.Completed));
        var output = await ReadAllAsync(manager.GetResultsAsync(job.Id));
        Assert.Equal("list", output[0].Response!.Body.GetProperty("object").GetString());
        Assert.Equal(1, env.Gateway.Counters.GetRequests("/v1/embeddings"));
        var byId = output.ToDictionary(line => line.CustomId, line => line.GetBody<EmbeddingResponse>());
        Assert.Equal([0], byId["e1"].Data.Select(d => d.Index));
        Assert.Equal([0, 1], byId["e2"].Data.Select(d => d.Index));
    }

    [Fact]
    public async Task CreateAsync_InvalidMetadataOrWindow_ThrowsArgumentException()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var tooMany = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v");

        await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateAsync(ToStream(ChatLines(1)), options: new BatchCreateOptions { CompletionWindow = "1h" }));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateAsync(ToStream(ChatLines(1)), options: new BatchCreateOptions { Metadata = tooMany }));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task CreateAsync_WithOwner_KeepsItThroughARestartAndWritesItOnlyWhenSet()
    {
        await using var env = await StartAsync();
        string owned, unowned;
        await using (var first = env.CreateManager())
        {
            owned = (await first.WaitAsync((await first.CreateAsync(ToStream(ChatLines(2)), options: new BatchCreateOptions { Owner = "ana" })).Id)).Id;
            unowned = (await first.WaitAsync((await first.CreateAsync(ToStream(ChatLines(1)))).Id)).Id;
        }

        await using var second = env.CreateManager();
        var job = await second.RetrieveAsync(owned);

        Assert.Equal("ana", job.Owner);
        Assert.Equal("ana", JsonSerializer.SerializeToElement(job, BatchJsonContext.Default.BatchJob).GetProperty("owner").GetString());
        Assert.Null((await second.RetrieveAsync(unowned)).Owner);
        Assert.False(JsonSerializer.SerializeToElement(await second.RetrieveAsync(unowned), BatchJsonContext.Default.BatchJob).TryGetProperty("owner", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\nb")]
    public async Task CreateAsync_InvalidOwner_ThrowsArgumentException(string owner)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateAsync(ToStream(ChatLines(1)), options: new BatchCreateOptions { Owner = owner.Replace("\\n", "\n", StringComparison.Ordinal) }));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateAsync(ToStream(ChatLines(1)), options: new BatchCreateOptions { Owner = new string('x', 65) }));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }
}
