using System.Text;
using System.Text.Json;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;

namespace LocalBatch.Tests.Gateway;

/// <summary>
/// A batch on the simulated llama-server sees another client's request where llama-server shows it (<c>/slots</c>, or
/// <c>/metrics</c> where <c>/slots</c> is off) and yields to it; where neither answers, it behaves as before.
/// </summary>
public sealed class BackgroundBatchTests
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Batch_AnotherClientsRequestRunning_IsSeenAndYieldedTo(bool slots, bool metrics)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, EnableSlots = slots, EnableMetrics = metrics });
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint });
        var reports = new Reports();
        gateway.Pause();

        var batch = processor.ProcessBatchCompletionsAsync(["one", "two"], progress: reports);
        await gateway.WaitForInFlightAsync(2);
        var other = SendAsAnotherClientAsync(gateway);
        await gateway.WaitForInFlightAsync(3);

        // Two of this client's requests, one of someone else's: it and one more slot are left to people.
        await Eventually.HoldsAsync(() => processor.Client.GetServers()[0] is { Interactive: 1, Reserved: 2 }, "the other client's request was never seen");
        gateway.Resume();
        await other;
        await batch;

        Assert.True(reports.AnyYielding);
        Assert.True(gateway.Counters.GetRequests(slots ? "/slots" : "/metrics") > 0);
    }

    [Fact]
    public async Task Batch_ServerShowsNeitherSlotsNorMetrics_AsksEachOnceAndTakesEverySlot()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, EnableSlots = false });
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint });
        gateway.Pause();

        var batch = processor.ProcessBatchCompletionsAsync(["one", "two"]);
        await gateway.WaitForInFlightAsync(2);
        var other = SendAsAnotherClientAsync(gateway);
        await gateway.WaitForInFlightAsync(3);
        var looks = processor.Client.Pool.LooksRead;
        await Eventually.HoldsAsync(() => processor.Client.Pool.LooksRead >= looks + 2, "the pool stopped looking");
        var server = processor.Client.GetServers()[0];
        gateway.Resume();
        await other;
        await batch;

        Assert.Equal((0, 0), (server.Interactive, server.Reserved));
        Assert.Equal((1, 1), (gateway.Counters.GetRequests("/slots"), gateway.Counters.GetRequests("/metrics")));
    }

    [Fact]
    public async Task Batch_MarksItsRequestsOnceSlotsShowTheField_AndNeverTakesThemForOtherClients()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4 });
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint });
        var reports = new Reports();
        gateway.Pause();

        // The first four go unmarked (no look yet); the look shows their params, so the other four carry the mark.
        var batch = processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 8).Select(static i => $"prompt {i}"), progress: reports);
        await gateway.WaitForInFlightAsync(4);
        var looks = processor.Client.Pool.LooksRead;
        await Eventually.HoldsAsync(() => processor.Client.Pool.LooksRead > looks, "the pool never looked");
        gateway.Resume();
        var results = await batch;

        Assert.All(results, static result => Assert.True(result.IsSuccess));
        Assert.False(reports.AnyYielding);
        using var http = new HttpClient { BaseAddress = gateway.Endpoint };
        using var slots = JsonDocument.Parse(await http.GetStringAsync("/slots"));
        Assert.Contains(slots.RootElement.EnumerateArray(), static slot => slot.GetProperty("params").GetProperty("timings_per_token").GetBoolean());
    }

    [Fact]
    public async Task Batch_ForegroundPriority_NeverLooksAtTheServersLoad()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4 });
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = gateway.Endpoint, BatchPriority = BatchPriority.Foreground });

        var results = await processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 20).Select(i => $"prompt {i}"));

        Assert.All(results, result => Assert.True(result.IsSuccess));
        Assert.Equal(0, gateway.Counters.GetRequests("/slots"));
    }

    private static async Task SendAsAnotherClientAsync(SimulatedGateway gateway)
    {
        using var http = new HttpClient { BaseAddress = gateway.Endpoint };
        using var content = new StringContent("""{"messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/chat/completions", content);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Keeps whether any progress report said the batch was yielding (reports come from the lanes, synchronously).</summary>
    private sealed class Reports : IProgress<BatchProgress>
    {
        private volatile bool _anyYielding;

        public bool AnyYielding => _anyYielding;

        public void Report(BatchProgress value) => _anyYielding |= value.IsYielding;
    }
}
