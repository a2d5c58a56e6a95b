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

        Assert.Equal((BatchStatus.Completed, new BatchRequestCounts(Lines, Lines, 0)), (job.Status, job.RequestCounts));
        Assert.Equal(Lines, env.Gateway.Counters.SucceededRequests); // each line answered once (no /props: the concurrency is fixed)
        Assert.InRange(env.ChatRequests - Lines, 1, Concurrency); // refused: those in flight when the first refusal came back, not 50
    }

    [Fact]
    public async Task WaitAsync_GatewayForbids_StopsAtTheFirst403()
    {
        var store = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        using var mock = new MockHttpMessageHandler();
        var forbidden = mock.When(HttpMethod.Post, MockGateway.BaseUrl + Chat)
            .Respond(HttpStatusCode.Forbidden, "application/json", MockGateway.ErrorBody(403, "permission_error", "Forbidden"));
        using var processor = new LocalBatchProcessor(MockGateway.CreateClient(mock, o => o.MaxConcurrency = 1));
        await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store });
        var id = (await manager.CreateAsync(ToStream(ChatLines(10)))).Id;

        var stop = await Assert.ThrowsAsync<LocalGatewayException>(() => manager.WaitAsync(id));

        Assert.Equal(403, stop.StatusCode);
        Assert.Contains("(403 permission_error: Forbidden)", stop.Message, StringComparison.Ordinal);
        Assert.Equal(1, mock.GetMatchCount(forbidden));
        Assert.Equal(BatchStatus.InProgress, (await manager.RetrieveAsync(id)).Status);
    }
}
