using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>Slots, pause, latency, loading, and stopping and starting the listener.</summary>
public sealed class SimulatedGatewaySlotTests
{
    [Fact]
    public async Task Pause_FiveRequestsOnTwoSlots_AllInFlightTwoSlotsBusy()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 2 });
        using var http = CreateClient(gateway);
        using var cts = new CancellationTokenSource(RequestTimeout);
        gateway.Pause();

        var requests = Enumerable.Range(0, 5)
            .Select(i => PostAsync(http, "/v1/completions", $$"""{"prompt":"request {{i}}"}"""))
            .ToArray();
        await gateway.WaitForInFlightAsync(5, cts.Token);

        // A request is in flight from its arrival, and takes a slot only once its body is read.
        await Eventually.HoldsAsync(() => gateway.Counters.PeakActiveSlots == 2, "two slots never became busy");
        Assert.Equal(5, gateway.Counters.InFlight);
        Assert.Equal(0, gateway.Counters.SucceededRequests);

        gateway.Resume();
        var responses = await Task.WhenAll(requests);
        await gateway.WaitForIdleAsync(cts.Token);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, gateway.Counters.PeakActiveSlots);
        Assert.Equal(5, gateway.Counters.PeakInFlight);
        Assert.Equal(5, gateway.Counters.SucceededRequests);
        Assert.Equal(0, gateway.Counters.InFlight);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Pause_GetRoutes_AnswerWhilePaused()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.Pause();

        using var response = await http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        gateway.Resume();
    }

    [Fact]
    public async Task Latency_Set_HoldsRequest()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Latency = TimeSpan.FromMilliseconds(150) });
        using var http = CreateClient(gateway);

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"slow"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(140), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task LatencyPerToken_Set_ScalesWithCompletionTokens()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { LatencyPerToken = TimeSpan.FromMilliseconds(20) });
        using var http = CreateClient(gateway);

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"slow","max_tokens":8}""");
        var json = await ReadJsonAsync(response);

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(150), $"took {stopwatch.Elapsed}");
        Assert.Equal(160.0, (double)json["timings"]!["predicted_ms"]!, 3);
    }

    [Fact]
    public async Task ClientCancels_DuringLatency_ReleasesSlot()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 1, Latency = TimeSpan.FromMinutes(1) });
        using var http = CreateClient(gateway);
        using var clientCts = new CancellationTokenSource();

        var request = http.PostAsync("/v1/completions", Json("""{"prompt":"x"}"""), clientCts.Token);
        await gateway.WaitForInFlightAsync(1).WaitAsync(RequestTimeout);
        await clientCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        // With one slot, the next request can only be answered once the canceled one has given its slot back.
        gateway.Options.Latency = TimeSpan.Zero;
        using var next = await PostAsync(http, "/v1/completions", """{"prompt":"y"}""");

        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task Completions_DuplicateKeys_LastValueWins()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x","max_tokens":9,"max_tokens":2}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(2, (int)json["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task SetLoading_True_EveryRouteReturns503UntilFalse()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);
        gateway.SetLoading(true);

        using var health = await http.GetAsync("/health");
        using var completion = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        using var unknown = await http.GetAsync("/nowhere");
        gateway.SetLoading(false);
        using var ready = await http.GetAsync("/health");

        const string Loading = """{"error":{"message":"Loading model","type":"unavailable_error","code":503}}""";
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(Loading, await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, completion.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(0, gateway.Counters.FaultsInjected);
    }

    [Fact]
    public async Task StopListening_ThenStart_RefusesThenServesSameEndpoint()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var endpoint = gateway.Endpoint;
        using (var http = CreateClient(gateway))
        using (var before = await PostAsync(http, "/v1/completions", """{"prompt":"x"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await gateway.StopListeningAsync();
        using (var stopped = CreateClient(gateway))
        {
            var exception = await Assert.ThrowsAsync<HttpRequestException>(() => stopped.GetAsync("/health"));
            Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(exception.InnerException).SocketErrorCode);
        }

        await gateway.StartListeningAsync();
        using var again = CreateClient(gateway);
        using var after = await PostAsync(again, "/v1/completions", """{"prompt":"x"}""");
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(endpoint, gateway.Endpoint);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task StopListening_RequestInFlight_AbortsIt()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.Pause();
        var pending = PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        await gateway.WaitForInFlightAsync(1).WaitAsync(RequestTimeout);

        await gateway.StopListeningAsync();

        await Assert.ThrowsAsync<HttpRequestException>(() => pending);
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);
        Assert.Equal(0, gateway.Counters.InFlight);
    }

    [Fact]
    public async Task DisposeAsync_Twice_StopsServerAndFailsWaiters()
    {
        var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        var waiter = gateway.WaitForRequestsAsync(100);

        await gateway.DisposeAsync();
        await gateway.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiter);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/health"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => gateway.StartListeningAsync());
    }
}
