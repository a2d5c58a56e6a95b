using System.Net;
using LocalBatch.Tests.Support;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Gateway;

/// <summary>The one rule for how many requests each server takes, shared by the processor and the queue.</summary>
public sealed class ServerConcurrencyTests
{
    [Fact]
    public async Task GetConcurrencyAsync_PropsRead_AskedOnceForEveryProcessorAndQueueOnTheClient()
    {
        var mock = new MockHttpMessageHandler();
        var props = mock.When("*/props").Respond(_ => MockGateway.Json("""{"total_slots":6}"""));
        using var client = MockGateway.CreateClient(mock);
        using var first = new LocalBatchProcessor(client);
        using var second = new LocalBatchProcessor(client);

        Assert.Equal(6, await first.GetConcurrencyAsync());
        Assert.Equal(6, await second.GetConcurrencyAsync());
        await using var queue = new RequestQueue(client);
        using var gate = new WorkGate();
        for (var i = 0; i < 6; i++)
        {
            await queue.SubmitAsync($"job-{i}", ct => gate.RunAsync(0, ct));
        }

        await gate.WhenStarted(6);
        Assert.Equal(6, queue.Stats.Workers);
        gate.Open();

        Assert.Equal(1, mock.GetMatchCount(props));
    }

    [Fact]
    public async Task GetConcurrencyAsync_ServerUnreachable_AdaptiveForNowThenItsPropsOnceItAnswers()
    {
        var mock = new MockHttpMessageHandler();
        var down = true;
        mock.When("*/props").Respond(_ => down ? throw new HttpRequestException("Connection refused") : MockGateway.Json("""{"total_slots":6}"""));
        mock.When("*/health").Respond(_ => down ? throw new HttpRequestException("Connection refused") : MockGateway.Json("""{"status":"ok"}"""));
        using var client = MockGateway.CreateClient(mock, o => o.MaxAdaptiveConcurrency = 20);
        using var processor = new LocalBatchProcessor(client);

        Assert.Equal(20, await processor.GetConcurrencyAsync());
        Assert.False(client.Pool.Snapshot()[0].InRotation);
        down = false;
        await Eventually.HoldsAsync(() => client.Pool.Snapshot()[0].InRotation);

        Assert.Equal(6, await processor.GetConcurrencyAsync());
        Assert.Equal(6, client.Pool.Snapshot()[0].Limit);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Unauthorized)]
    public async Task GetConcurrencyAsync_PropsMissingOrRefused_AdaptiveAndNotAskedAgain(HttpStatusCode status)
    {
        var mock = new MockHttpMessageHandler();
        var props = mock.When("*/props").Respond(_ => MockGateway.Json(MockGateway.ErrorBody((int)status, "x", "no"), status));
        using var client = MockGateway.CreateClient(mock, o => o.MaxAdaptiveConcurrency = 20);
        using var processor = new LocalBatchProcessor(client);

        Assert.Equal(20, await processor.GetConcurrencyAsync());
        Assert.Equal(20, await processor.GetConcurrencyAsync());
        Assert.Equal(1, client.Pool.Snapshot()[0].Limit); // the latency-based limit starts at one request
        Assert.True(client.Pool.Snapshot()[0].InRotation);
        Assert.Equal(1, mock.GetMatchCount(props));
    }

    [Fact]
    public async Task GetConcurrencyAsync_MaxConcurrencySet_NeverAsksTheServer()
    {
        var mock = new MockHttpMessageHandler();
        var props = mock.When("*/props").Respond(_ => MockGateway.Json("""{"total_slots":6}"""));
        using var client = MockGateway.CreateClient(mock, o => o.MaxConcurrency = 3);
        using var processor = new LocalBatchProcessor(client);

        Assert.Equal(3, await processor.GetConcurrencyAsync());
        Assert.Equal(0, mock.GetMatchCount(props));
    }

    [Fact]
    public async Task GetConcurrencyAsync_AdaptiveAsked_IgnoresProps()
    {
        var mock = new MockHttpMessageHandler();
        var props = mock.When("*/props").Respond(_ => MockGateway.Json("""{"total_slots":6}"""));
        using var client = MockGateway.CreateClient(mock, o => { o.UseAdaptiveConcurrency = true; o.MaxAdaptiveConcurrency = 30; });
        using var processor = new LocalBatchProcessor(client);

        Assert.Equal(30, await processor.GetConcurrencyAsync());
        Assert.Equal(0, mock.GetMatchCount(props));
    }
}
