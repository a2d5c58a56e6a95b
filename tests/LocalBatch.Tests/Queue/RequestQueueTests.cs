using System.Collections.Concurrent;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;
using static LocalBatch.Tests.Support.QueueTestGateway;

namespace LocalBatch.Tests.Queue;
public sealed class RequestQueueTests
{
    [Fact]
    public async Task SubmitAsync_ThousandCompletionsWithFiveWorkers_AllCompleteAtPeakConcurrencyFive()
    {
        using var gate = new WorkGate();
        var mock = new MockHttpMessageHandler();
        mock.When("*/v1/completions").Respond(async (HttpRequestMessage _) => Json(await gate.RunAsync(CompletionJson, CancellationToken.None)));
        using var client = CreateClient(mock, maxConcurrency: 5);
        var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 5, Capacity = 1_000 });
        try
        {
            for (var i = 0; i < 1_000; i++)
            {
                await queue.SubmitAsync($"req-{i}", new CompletionRequest { Prompt = $"Write haiku {i}", MaxTokens = 50 });
            }

            // Every worker holds one request at the gateway; the other 995 wait in the channel.
            await gate.WhenStarted(5);
            Assert.Equal(5, queue.Stats.Running);
            Assert.Equal(995, queue.Stats.Queued);
            gate.Open();
            await queue.WaitCompletionAsync();

            for (var i = 0; i < 1_000; i++)
            {
                var result = await queue.GetResultAsync($"req-{i}", TimeSpan.FromSeconds(30));
                Assert.Equal(RequestStatus.Completed, result.Status);
                Assert.Equal("an old silent pond", result.GetValue<CompletionResponse>().Text);
            }

            Assert.Equal(5, gate.Peak);
            Assert.Equal(1_000, gate.Started);
            Assert.Equal(new RequestQueueStats(Workers: 5, Queued: 0, Running: 0, Completed: 1_000, Failed: 0, Cancelled: 0, PeakConcurrency: 5, Retained: 0), queue.Stats);
        }
        finally
        {
            gate.Open();
            await queue.DisposeAsync();
        }
    }

    [Fact]
    public async Task SubmitAsync_ChatAndEmbeddingRequests_CompleteWithTypedValues()
    {
        var mock = new MockHttpMessageHandler();
        mock.When("*/v1/chat/completions").Respond("application/json", ChatJson);
        mock.When("*/v1/embeddings").Respond("application/json", EmbeddingJson);
        using var client = CreateClient(mock);
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 2 });

        await queue.SubmitAsync("chat", new ChatCompletionRequest { Messages = [ChatCompletionMessage.User("Hi")] });
        await queue.SubmitAsync("embed", new EmbeddingRequest { Input = ["one"] });

        var chat = await queue.GetResultAsync("chat");
        var embed = await queue.GetResultAsync("embed");
        Assert.Equal("Hello there", chat.GetValue<ChatCompletionResponse>().Content);
        Assert.Equal([0.5f, -0.25f], embed.GetValue<EmbeddingResponse>().Data[0].Embedding);
        Assert.NotNull(chat.StartedAt);
        Assert.True(chat.FinishedAt >= chat.StartedAt && chat.StartedAt >= chat.SubmittedAt);
    }

    [Fact]
    public async Task SubmitAsync_GenericWork_KeepsWhatTheWorkReturns()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 2 });
        var ran = 0;

        await queue.SubmitAsync("answer", ct => Task.FromResult(42));
        await queue.SubmitAsync("record", async ct =>
        {
            await Task.Yield();
            return new Uri("http://example.test/");
        });
        await queue.SubmitAsync("no-value", async ct =>
        {
            await Task.Yield();
            Interlocked.Increment(ref ran);
        });

        Assert.Equal(42, (await queue.GetResultAsync("answer")).GetValue<int>());
        Assert.Equal(new Uri("http://example.test/"), (await queue.GetResultAsync("record")).GetValue<Uri>());
        var noValue = await queue.GetResultAsync("no-value");
        Assert.Equal(RequestStatus.Completed, noValue.Status);
        Assert.Null(noValue.Value);
        Assert.Equal(1, ran);
    }

    [Fact]
    public async Task SubmitAsync_QueueAtCapacity_WaitsForRoom()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1, Capacity = 2 });
        using var gate = new WorkGate();

        await queue.SubmitAsync("running", ct => gate.RunAsync(0, ct));
        await gate.WhenStarted(1);
        await queue.SubmitAsync("queued-1", ct => gate.RunAsync(1, ct));
        await queue.SubmitAsync("queued-2", ct => gate.RunAsync(2, ct));

        var blocked = queue.SubmitAsync("blocked", ct => gate.RunAsync(3, ct));
        Assert.False(blocked.IsCompleted);
        Assert.Equal(2, queue.Stats.Queued);
        Assert.Equal(RequestStatus.Pending, queue.TryGetResult("blocked", out var pending) ? pending.Status : RequestStatus.Failed);

        gate.Open();
        await blocked;
        await queue.WaitCompletionAsync();
        Assert.Equal(4, queue.Stats.Completed);
        Assert.Equal(3, (await queue.GetResultAsync("blocked")).GetValue<int>());
    }

    [Fact]
    public async Task SubmitAsync_CancelledWhileWaitingForRoom_DoesNotQueueTheRequest()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1, Capacity = 1 });
        using var gate = new WorkGate();
        await queue.SubmitAsync("running", ct => gate.RunAsync(0, ct));
        await gate.WhenStarted(1);
        await queue.SubmitAsync("queued", ct => gate.RunAsync(1, ct));
        using var cts = new CancellationTokenSource();

        var blocked = queue.SubmitAsync("blocked", ct => gate.RunAsync(2, ct), cts.Token);
        var waiter = queue.GetResultAsync("blocked");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        Assert.Equal(RequestStatus.Cancelled, (await waiter).Status);
        Assert.False(queue.TryGetResult("blocked", out _));
        gate.Open();
        await queue.WaitCompletionAsync();
        Assert.Equal(2, queue.Stats.Completed);
        Assert.Equal(0, queue.Stats.Cancelled);

        // The id was never taken, so it can be used.
        await queue.SubmitAsync("blocked", ct => Task.FromResult(2));
        Assert.Equal(2, (await queue.GetResultAsync("blocked")).GetValue<int>());
    }

    [Fact]
    public async Task SubmitAsync_DuplicateId_ThrowsArgumentExceptionUntilTheResultIsRead()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });
        using var gate = new WorkGate();
        await queue.SubmitAsync("job", ct => gate.RunAsync(1, ct));

        var whileRunning = await Assert.ThrowsAsync<ArgumentException>(() => queue.SubmitAsync("job", ct => Task.FromResult(2)));
        Assert.Contains("'job' is already queued or kept", whileRunning.Message, StringComparison.Ordinal);
        Assert.Equal("requestId", whileRunning.ParamName);

        gate.Open();
        await queue.WaitCompletionAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => queue.SubmitAsync("job", new CompletionRequest { Prompt = "again" }));

        Assert.Equal(1, (await queue.GetResultAsync("job")).GetValue<int>());
        await queue.SubmitAsync("job", ct => Task.FromResult(2));
        Assert.Equal(2, (await queue.GetResultAsync("job")).GetValue<int>());
    }

    [Fact]
    public async Task GetResultAsync_TimeoutPasses_ReturnsTimedOutAndTheRequestGoesOn()
    {
        var time = new FakeTimeProvider();
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 }, timeProvider: time);
        using var gate = new WorkGate();
        await queue.SubmitAsync("slow", ct => gate.RunAsync("done", ct));
        await gate.WhenStarted(1);

        var waiting = queue.GetResultAsync("slow", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var timedOut = await waiting;

        Assert.Equal(RequestStatus.TimedOut, timedOut.Status);
        Assert.Equal("slow", timedOut.RequestId);
        Assert.NotNull(timedOut.StartedAt);
        Assert.Null(timedOut.FinishedAt);
        Assert.False(timedOut.IsFinished);
        Assert.Equal(RequestStatus.TimedOut, (await queue.GetResultAsync("slow", TimeSpan.Zero)).Status);

        gate.Open();
        var finished = await queue.GetResultAsync("slow", TimeSpan.FromSeconds(30));
        Assert.Equal(RequestStatus.Completed, finished.Status);
        Assert.Equal("done", finished.GetValue<string>());
    }

    [Fact]
    public async Task GetResultAsync_TokenCancelled_ThrowsOperationCanceledException()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });
        using var gate = new WorkGate();
        await queue.SubmitAsync("slow", ct => gate.RunAsync(1, ct));
        using var cts = new CancellationTokenSource();

        var waiting = queue.GetResultAsync("slow", TimeSpan.FromMinutes(5), cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        gate.Open();
        Assert.Equal(1, (await queue.GetResultAsync("slow")).GetValue<int>());
    }

    [Fact]
    public async Task GetResultAsync_UnknownId_ThrowsKeyNotFoundException()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });

        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => queue.GetResultAsync("nope", TimeSpan.FromSeconds(1)));

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        Assert.False(queue.TryGetResult("nope", out var result));
        Assert.Null(result);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.GetResultAsync("nope", TimeSpan.FromSeconds(-2)));
        await Assert.ThrowsAsync<ArgumentException>(() => queue.GetResultAsync(string.Empty));
    }

    [Fact]
    public async Task GetResultAsync_ResultRead_ReleasesIt()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 2 });
        for (var i = 0; i < 10; i++)
        {
            var value = i;
            await queue.SubmitAsync($"job-{i}", ct => Task.FromResult(value));
        }

        await queue.WaitCompletionAsync();
        Assert.Equal(10, queue.Stats.Retained);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i, (await queue.GetResultAsync($"job-{i}")).GetValue<int>());
        }

        for (var i = 5; i < 10; i++)
        {
            Assert.True(queue.TryGetResult($"job-{i}", out var result));
            Assert.Equal(i, result.GetValue<int>());
        }

        Assert.Equal(0, queue.Stats.Retained);
        Assert.False(queue.TryGetResult("job-0", out _));
        Assert.False(queue.TryGetResult("job-9", out _));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => queue.GetResultAsync("job-3"));
    }

    [Fact]
    public async Task TryGetResult_RequestNotFinished_ReturnsSnapshotWithoutReleasing()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });
        using var gate = new WorkGate();
        await queue.SubmitAsync("running", ct => gate.RunAsync(1, ct));
        await queue.SubmitAsync("pending", ct => gate.RunAsync(2, ct));
        await gate.WhenStarted(1);

        Assert.True(queue.TryGetResult("running", out var running));
        Assert.True(queue.TryGetResult("pending", out var pending));

        Assert.Equal(RequestStatus.Running, running.Status);
        Assert.NotNull(running.StartedAt);
        Assert.Equal(RequestStatus.Pending, pending.Status);
        Assert.Null(pending.StartedAt);
        Assert.Throws<InvalidOperationException>(() => pending.GetValue<int>());
        gate.Open();
        Assert.Equal(2, (await queue.GetResultAsync("pending")).GetValue<int>());
        Assert.Equal(1, (await queue.GetResultAsync("running")).GetValue<int>());
    }

    [Fact]
    public async Task WaitCompletionAsync_WorkRunning_ReturnsOnceEverythingSubmittedFinished()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 3 });
        using var gate = new WorkGate();
        await queue.WaitCompletionAsync();
        for (var i = 0; i < 20; i++)
        {
            var value = i;
            await queue.SubmitAsync($"job-{i}", ct => gate.RunAsync(value, ct));
        }

        var waiting = queue.WaitCompletionAsync();
        await gate.WhenStarted(3);
        Assert.False(waiting.IsCompleted);
        gate.Open();
        await waiting;

        var stats = queue.Stats;
        Assert.Equal(20, stats.Completed);
        Assert.Equal(0, stats.Running);
        Assert.Equal(0, stats.Queued);
        Assert.Equal(20, stats.Retained);
    }

    [Fact]
    public async Task SubmitAsync_ConcurrentSubmittersFromManyThreads_EveryRequestCompletesOnce()
    {
        const int Submitters = 8;
        const int PerSubmitter = 250;
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 4, Capacity = 16 });
        var runs = new ConcurrentDictionary<string, int>();

        var producers = Enumerable.Range(0, Submitters).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < PerSubmitter; i++)
            {
                var id = $"s{s}-{i}";
                await queue.SubmitAsync(id, async ct =>
                {
                    await Task.Yield();
                    runs.AddOrUpdate(id, 1, (_, n) => n + 1);
                    return id;
                });
            }
        }));
        await Task.WhenAll(producers);
        await queue.WaitCompletionAsync();

        Assert.Equal(Submitters * PerSubmitter, runs.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
        for (var s = 0; s < Submitters; s++)
        {
            for (var i = 0; i < PerSubmitter; i++)
            {
                Assert.Equal($"s{s}-{i}", (await queue.GetResultAsync($"s{s}-{i}")).GetValue<string>());
            }
        }

        Assert.Equal(Submitters * PerSubmitter, queue.Stats.Completed);
        Assert.InRange(queue.Stats.PeakConcurrency, 1, 4);
        Assert.Equal(0, queue.Stats.Retained);
    }

    [Fact]
    public async Task SubmitAsync_RequestsQueuedAndTaken_ReportTheQueueDepthMetric()
    {
        using var meterFactory = new TestMeterFactory();
        long depth = 0;
        using var listener = meterFactory.Listen("localbatch.queue.depth", delta => Interlocked.Add(ref depth, delta));
        using var client = new LocalGatewayClient(
            new HttpClient(new MockHttpMessageHandler()) { BaseAddress = new Uri("http://127.0.0.1:8080/") },
            Options.Create(new LocalBatchOptions { Endpoint = new Uri("http://127.0.0.1:8080") }),
            logger: null,
            meterFactory);
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });
        using var gate = new WorkGate();

        for (var i = 0; i < 3; i++)
        {
            await queue.SubmitAsync($"job-{i}", ct => gate.RunAsync(0, ct));
        }

        await gate.WhenStarted(1);
        Assert.Equal(2, Interlocked.Read(ref depth));
        gate.Open();
        await queue.WaitCompletionAsync();
        Assert.Equal(0, Interlocked.Read(ref depth));
    }
}
