using System.Net;
using LocalBatch.Tests.Support;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Gateway;

/// <summary>The one rule for how many requests the processor and the queue keep in flight.</summary>
public sealed class ConcurrencyResolverTests
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
    public async Task GetConcurrencyAsync_ServerUnreachable_FallsBackForNowAndAsksAgainNextTime()
    {
        var mock = new MockHttpMessageHandler();
        var down = true;
        var props = mock.When("*/props").Respond(_ => down ? throw new HttpRequestException("Connection refused") : MockGateway.Json("""{"total_slots":6}"""));
        using var client = MockGateway.CreateClient(mock);
        using var processor = new LocalBatchProcessor(client);

        Assert.Equal(LocalBatchOptions.FallbackConcurrency, await processor.GetConcurrencyAsync());
        down = false;

        Assert.Equal(6, await processor.GetConcurrencyAsync());
        Assert.Equal(6, await processor.GetConcurrencyAsync());
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Unauthorized)]
    public async Task GetConcurrencyAsync_PropsMissingOrRefused_FallsBackAndKeepsIt(HttpStatusCode status)
    {
        var mock = new MockHttpMessageHandler();
        var props = mock.When("*/props").Respond(_ => MockGateway.Json(MockGateway.ErrorBody((int)status, "x", "no"), status));
        using var client = MockGateway.CreateClient(mock);
        using var processor = new LocalBatchProcessor(client);

        Assert.Equal(LocalBatchOptions.FallbackConcurrency, await processor.GetConcurrencyAsync());
        Assert.Equal(LocalBatchOptions.FallbackConcurrency, await processor.GetConcurrencyAsync());
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
}
