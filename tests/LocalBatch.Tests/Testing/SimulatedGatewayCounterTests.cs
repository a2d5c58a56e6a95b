using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>Counters and the waits built on them.</summary>
public sealed class SimulatedGatewayCounterTests
{
    [Fact]
    public async Task Counters_MixedTraffic_CountEachKind()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable));

        using (await PostAsync(http, "/v1/completions", """{"prompt":"x"}"""))
        using (await PostAsync(http, "/v1/completions", """{"prompt":"a b c","max_tokens":4}"""))
        using (await PostAsync(http, "/v1/embeddings", """{"input":["a b","c"]}"""))
        using (await http.GetAsync("/health"))
        using (await http.GetAsync("/nowhere"))
        {
        }

        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);
        var counters = gateway.Counters;
        Assert.Equal(5, counters.TotalRequests);
        Assert.Equal(2, counters.GetRequests("/v1/completions"));
        Assert.Equal(1, counters.GetRequests("/v1/embeddings"));
        Assert.Equal(1, counters.GetRequests("/nowhere"));
        Assert.Equal(0, counters.GetRequests("/v1/chat/completions"));
        Assert.Equal(1, counters.FaultsInjected);
        Assert.Equal(3, counters.SucceededRequests);
        Assert.Equal(3 + 3, counters.PromptTokens);
        Assert.Equal(4, counters.CompletionTokens);
        Assert.Equal(1, counters.PeakInFlight);
        Assert.Equal(0, counters.InFlight);

        counters.Reset();

        Assert.Equal(0, counters.TotalRequests);
        Assert.Equal(0, counters.GetRequests("/v1/completions"));
        Assert.Equal(0, counters.FaultsInjected);
        Assert.Equal(0, counters.SucceededRequests);
        Assert.Equal(0, counters.PromptTokens);
        Assert.Equal(0, counters.CompletionTokens);
        Assert.Equal(0, counters.PeakInFlight);
        Assert.Equal(0, counters.PeakActiveSlots);
    }

    [Fact]
    public async Task WaitForRequestsAsync_RequestsArrive_Completes()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.Pause();

        var waiter = gateway.WaitForRequestsAsync(3);
        Assert.False(waiter.IsCompleted);
        var requests = Enumerable.Range(0, 3).Select(_ => PostAsync(http, "/v1/completions", """{"prompt":"x"}""")).ToArray();
        await waiter.WaitAsync(RequestTimeout);
        gateway.Resume();
        foreach (var response in await Task.WhenAll(requests))
        {
            response.Dispose();
        }

        Assert.Equal(3, gateway.Counters.TotalRequests);
        await gateway.WaitForRequestsAsync(2).WaitAsync(RequestTimeout);
    }

    [Fact]
    public async Task WaitForIdleAsync_RequestHeld_CompletesOnceItIsAnsweredAndCounted()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout); // nothing received yet
        gateway.Pause();

        var request = PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        await gateway.WaitForInFlightAsync(1).WaitAsync(RequestTimeout);
        var idle = gateway.WaitForIdleAsync();
        Assert.False(idle.IsCompleted);
        gateway.Resume();
        using var response = await request;
        await idle.WaitAsync(RequestTimeout);

        Assert.Equal((0, 1), (gateway.Counters.InFlight, gateway.Counters.SucceededRequests));
    }

    [Fact]
    public async Task WaitForInFlightAsync_Canceled_Throws()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var cts = new CancellationTokenSource();

        var waiter = gateway.WaitForInFlightAsync(1, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
    }
}
