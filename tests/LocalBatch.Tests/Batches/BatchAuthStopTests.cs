using System.Net;
using LocalBatch.Batches;
using LocalBatch.Tests.Support;
using RichardSzalay.MockHttp;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>A server that refuses the API key stops the run at its first refusal (not one refusal a line), resumably.</summary>
public sealed class BatchAuthStopTests
{
    private const int Lines = 50;
    private const int Concurrency = 2;

    [Theory]
    [InlineData("wrong-key-3f9c2a", "The server refused the API key (401 authentication_error: Invalid API Key)")]
    [InlineData(null, "The server requires an API key and none was given (401 authentication_error: Invalid API Key)")]
    public async Task WaitAsync_ServerRefusesTheKey_StopsAtTheFirstRefusalAndResumesWithTheRightKey(string? key, string cause)
    {
        await using var env = await StartAsync();
        env.Gateway.Options.ApiKey = "right-key-77d1e0";
        string id;
        using (var refused = new LocalBatchProcessor(Simulator.FastOptions(env.Gateway, o => (o.ApiKey, o.MaxConcurrency) = (key, Concurrency))))
        await using (var manager = new BatchJobManager(refused, new BatchJobManagerOptions { StoreDirectory = env.StoreDirectory }))
        {
            id = (await manager.CreateAsync(ToStream(ChatLines(Lines)))).Id;

            var stop = await Assert.ThrowsAsync<LocalGatewayException>(() => manager.WaitAsync(id));

            Assert.Equal((401, GatewayErrorKind.Request, "authentication_error"), (stop.StatusCode, stop.Kind, stop.ErrorType));
            Assert.StartsWith(cause + $", so batch '{id}' stopped at its first refused request with {Lines} requests unanswered", stop.Message, StringComparison.Ordinal);
            Assert.Contains("LocalBatchOptions.ApiKey", stop.Message, StringComparison.Ordinal);
            var stopped = await manager.RetrieveAsync(id);
            Assert.Equal((BatchStatus.InProgress, new BatchRequestCounts(Lines, 0, 0)), (stopped.Status, stopped.RequestCounts));
            Assert.False(manager.IsRunning(id));
            Assert.Empty(BatchResumeTests.ReadCustomIds(manager.GetFilePath(id, BatchFileKind.Errors)));
        }

        using var accepted = new LocalBatchProcessor(Simulator.FastOptions(env.Gateway, o => (o.ApiKey, o.MaxConcurrency) = ("right-key-77d1e0", Concurrency)));
        await using var resumed = new BatchJobManager(accepted, new BatchJobManagerOptions { StoreDirectory = env.StoreDirectory });

        var job = await resumed.WaitAsync(id);
        await env.WaitForGatewayIdleAsync();

        Assert.Equal((BatchStatus.Completed, new BatchRequestCounts(Lines, Lines, 0)), (job.Status, job.RequestCounts));
        Assert.Equal(Lines, env.Gateway.Counters.SucceededRequests); // each line answered once (no /props: the concurrency is fixed)

        // Refused: those in flight when the first refusal came back, not 50; WaitAsync may have taken the batch up once
        // more (a run that stopped before it looked is resumed by it), and refused again.
        Assert.InRange(env.ChatRequests - Lines, 1, 2 * Concurrency);
    }

    [Fact]
    public async Task WaitAsync_ServerRefusesTheKeyForCoalescedEmbeddings_StopsWithoutSplittingTheChunk()
    {
        await using var env = await StartAsync();
        env.Gateway.Options.ApiKey = "right-key-77d1e0";
        var lines = string.Concat(Enumerable.Range(0, Lines).Select(i =>
            $$$"""{"custom_id":"e-{{{i}}}","method":"POST","url":"/v1/embeddings","body":{"input":"text {{{i}}}"}}""" + "\n"));
        using var refused = new LocalBatchProcessor(Simulator.FastOptions(env.Gateway, o => (o.ApiKey, o.MaxConcurrency) = ("wrong-key-3f9c2a", Concurrency)));
        await using var manager = new BatchJobManager(refused, new BatchJobManagerOptions { StoreDirectory = env.StoreDirectory });
        var id = (await manager.CreateAsync(ToStream(lines))).Id;

        var stop = await Assert.ThrowsAsync<LocalGatewayException>(() => manager.WaitAsync(id));

        Assert.Equal(401, stop.StatusCode);
        var stopped = await manager.RetrieveAsync(id);
        Assert.Equal((BatchStatus.InProgress, new BatchRequestCounts(Lines, 0, 0)), (stopped.Status, stopped.RequestCounts));
        Assert.Empty(BatchResumeTests.ReadCustomIds(manager.GetFilePath(id, BatchFileKind.Errors)));

        // The 50 lines went as one array call, refused as a whole: not sent again in halves down to single lines (WaitAsync
        // may have taken the stopped batch up once more, and been refused again).
        Assert.InRange(env.Gateway.Counters.GetRequests("/v1/embeddings"), 1, 2);
    }

    [Theory]
    [InlineData(401, "authentication_error", "Invalid API Key")]
    [InlineData(403, "permission_error", "Forbidden")]
    public async Task WaitAsync_ServerRefuses_NoRequestStartsAfterTheFirstRefusal(int status, string type, string message)
    {
        using var gateway = new HeldRefusals(status, type, message);
        using var processor = new LocalBatchProcessor(MockGateway.CreateClient(gateway.Mock, o => o.MaxConcurrency = Concurrency));
        await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = NewStore() });
        var id = (await manager.CreateAsync(ToStream(ChatLines(Lines)))).Id;
        await gateway.AllArrivedAsync();
        var waiting = manager.WaitAsync(id);

        gateway.Answer(); // the first requests are refused together, once the waiter is attached to the run
        var stop = await Assert.ThrowsAsync<LocalGatewayException>(() => waiting);

        Assert.Equal((status, GatewayErrorKind.Request, type), (stop.StatusCode, stop.Kind, stop.ErrorType));
        Assert.Contains($"({status} {type}: {message})", stop.Message, StringComparison.Ordinal);
        Assert.Equal(Concurrency, gateway.Arrived); // those already in flight, and not one more
        var stopped = await manager.RetrieveAsync(id);
        Assert.Equal((BatchStatus.InProgress, new BatchRequestCounts(Lines, 0, 0)), (stopped.Status, stopped.RequestCounts));
    }

    [Fact]
    public async Task WaitAsync_CancelledBeforeTheRefusalsComeBack_EndsCancelledNotRefused()
    {
        using var gateway = new HeldRefusals(401, "authentication_error", "Invalid API Key");
        using var processor = new LocalBatchProcessor(MockGateway.CreateClient(gateway.Mock, o => o.MaxConcurrency = Concurrency));
        await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = NewStore() });
        var id = (await manager.CreateAsync(ToStream(ChatLines(Lines)))).Id;
        await gateway.AllArrivedAsync();

        var cancelling = await manager.CancelAsync(id);
        gateway.Answer(); // refused only once the batch has been cancelled
        var job = await manager.WaitAsync(id);

        Assert.Equal(BatchStatus.Cancelling, cancelling.Status);
        Assert.Equal((BatchStatus.Cancelled, new BatchRequestCounts(Lines, 0, Lines)), (job.Status, job.RequestCounts));
        Assert.All(await ReadAllAsync(manager.GetErrorsAsync(id)), line => Assert.Equal("batch_cancelled", line.Error!.Code));
        Assert.Equal(Concurrency, gateway.Arrived);
    }

    private static string NewStore() => Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));

    /// <summary>A gateway that refuses every chat request, each held until <see cref="Answer"/> is called.</summary>
    private sealed class HeldRefusals : IDisposable
    {
        private readonly TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public HeldRefusals(int status, string type, string message) =>
            Mock.When(HttpMethod.Post, MockGateway.BaseUrl + Chat).Respond(async () =>
            {
                if (Interlocked.Increment(ref _arrived) == Concurrency)
                {
                    _allArrived.TrySetResult();
                }

                await _answer.Task;
                return MockGateway.Json(MockGateway.ErrorBody(status, type, message), (HttpStatusCode)status);
            });

        public MockHttpMessageHandler Mock { get; } = new();

        /// <summary>Gets how many requests have arrived.</summary>
        public int Arrived => Volatile.Read(ref _arrived);

        /// <summary>Waits until as many requests as the run's concurrency are held.</summary>
        public Task AllArrivedAsync() => _allArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        /// <summary>Lets every held request (and every later one) be refused.</summary>
        public void Answer() => _answer.SetResult();

        public void Dispose() => Mock.Dispose();
    }
}
