using System.Net.Http.Json;
using LocalBatch.Server.Proxy.Internal;
using LocalBatch.Server.Tests.Support;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.AspNetCore.Http;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Proxy;

/// <summary>
/// serve's slot ledger: every proxied request that takes a slot is counted on the gateway it is sent to while it runs,
/// batches yield to it, it is never held up, and it goes to the gateway with the most free slots. The simulated gateways'
/// <c>/slots</c> is off, so that the ledger holds serve's own count alone.
/// </summary>
public sealed class SlotLedgerTests
{
    [Fact]
    public async Task ProxiedChat_EverySlotHeldByAPausedBatch_IsForwardedAtOnceAndCountedWhileItRuns()
    {
        await using var env = await ServeAsync(slots: 2);
        var ledger = env.GetService<LocalGatewayClient>();

        var (during, status, job) = await ProxyWhileABatchHoldsEverySlotAsync(env, lines: 6);
        await Eventually.HoldsAsync(() => ledger.GetServers()[0].Interactive == 0, "the proxied request was never released from the ledger");

        Assert.Equal((1, 2), (during.Interactive, during.InFlight));
        Assert.Equal(1, during.Reserved); // the batch yields one of the two slots (it always keeps one)
        Assert.Equal(200, status);
        Assert.Equal((LocalBatch.Batches.BatchStatus.Completed, 6), (job.Status, job.RequestCounts.Completed));
        Assert.Equal(7, env.Gateway.Counters.GetRequests(Chat));
    }

    [Fact]
    public async Task ProxiedChat_WhileABatchRuns_BatchLeavesItsSlotFree()
    {
        await using var env = await ServeAsync(slots: 4);
        env.Gateway.Options.EnableSlots = false;
        var ledger = env.GetService<LocalGatewayClient>();
        env.Gateway.Pause();
        var proxied = ChatAsync(env.Http);
        await env.Gateway.WaitForInFlightAsync(1);
        var batchId = await StartBatchAsync(env, 8);
        await env.Gateway.WaitForInFlightAsync(3);
        var during = ledger.GetServers()[0];
        env.Gateway.Resume();
        using var response = await proxied;
        await env.WaitAsync(batchId);

        // One interactive request: the batch leaves it its slot and one more (4 - 2 = 2 batch requests at most).
        Assert.Equal((1, 2, 2), (during.Interactive, during.Reserved, during.InFlight));
        Assert.Equal(3, env.Gateway.Counters.PeakInFlight);
        Assert.True(response.IsSuccessStatusCode);
    }

    [Fact]
    public async Task BatchPriorityForeground_ProxiedChatWhileABatchHoldsEverySlot_NothingIsReserved()
    {
        await using var env = await ServeAsync(options => options.BatchPriority = BatchPriority.Foreground, slots: 2);

        var (during, status, job) = await ProxyWhileABatchHoldsEverySlotAsync(env, lines: 4);

        Assert.Equal((1, 0, 2), (during.Interactive, during.Reserved, during.InFlight));
        Assert.Equal(200, status);
        Assert.Equal(4, job.RequestCounts.Completed);
    }

    [Fact]
    public async Task ProxiedChats_TwoGateways_GoToTheOneWithMoreFreeSlotsForItsSize()
    {
        await using var second = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, EnableSlots = false });
        await using var env = await ServeAsync(options => options.Gateways = [options.Gateway, second.Endpoint], slots: 2);
        env.Gateway.Options.EnableSlots = false;
        await env.RunBatchAsync(ChatLines(6)); // the ledger learns each gateway's slots: 2 and 4
        var first = env.Gateway;
        var before = (First: first.Counters.GetRequests(Chat), Second: second.Counters.GetRequests(Chat));
        first.Pause();
        second.Pause();

        // Free shares: 2/2 and 4/4 (a tie: the first), then 1/2 and 4/4, then 1/2 and 3/4, then 1/2 and 2/4 (the first).
        List<Task<HttpResponseMessage>> proxied = [];
        List<string> went = [];
        for (var i = 0; i < 4; i++)
        {
            proxied.Add(ChatAsync(env.Http));
            await Eventually.HoldsAsync(() => first.Counters.InFlight + second.Counters.InFlight == i + 1, $"proxied request {i + 1} never reached a gateway");
            went.Add(first.Counters.GetRequests(Chat) - before.First > went.Count(static g => g == "first") ? "first" : "second");
        }

        first.Resume();
        second.Resume();
        foreach (var response in await Task.WhenAll(proxied))
        {
            Assert.True(response.IsSuccessStatusCode);
            response.Dispose();
        }

        Assert.Equal(["first", "second", "second", "first"], went);
    }

    [Theory]
    [InlineData("POST", "/v1/chat/completions", true)]
    [InlineData("POST", "/v1/completions/", true)]
    [InlineData("POST", "/completion", true)]
    [InlineData("POST", "/v1/embeddings", true)]
    [InlineData("POST", "/v1/responses", true)]
    [InlineData("POST", "/v1/messages", true)]
    [InlineData("POST", "/infill", true)]
    [InlineData("POST", "/v1/rerank", true)]
    [InlineData("POST", "/tokenize", false)]
    [InlineData("POST", "/v1/messages/count_tokens", false)]
    [InlineData("GET", "/v1/chat/completions", false)]
    [InlineData("GET", "/v1/models", false)]
    [InlineData("GET", "/health", false)]
    public void TakesASlot_GenerationRoutesOnly(string method, string path, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;

        Assert.Equal(expected, GenerationRoutes.TakesASlot(context.Request));
    }

    [Theory]
    [InlineData(4, 0, 0, 1.0)]
    [InlineData(4, 2, 1, 0.25)]
    [InlineData(2, 1, 0, 0.5)]
    [InlineData(0, 0, 0, 1.0)] // size not known yet: one slot
    [InlineData(0, 0, 1, 0.0)]
    public void FreeShare_IsTheUnusedShareOfTheLimit(int limit, int inFlight, int interactive, double expected) =>
        Assert.Equal(expected, MostFreeSlotsPolicy.FreeShare(new ServerProgress(new Uri("http://127.0.0.1:1"), true, inFlight, limit, 0, 0) { Interactive = interactive }));

    /// <summary>
    /// Holds both slots of the gateway with a paused batch, sends a proxied chat, reads the ledger once the chat reached
    /// the gateway (where it waits for a slot: serve held nothing back), then lets everything end; returns the chat's status.
    /// </summary>
    private static async Task<(ServerProgress During, int Status, LocalBatch.Batches.BatchJob Job)> ProxyWhileABatchHoldsEverySlotAsync(ServerTestEnvironment env, int lines)
    {
        env.Gateway.Options.EnableSlots = false;
        env.Gateway.Pause();
        var batchId = await StartBatchAsync(env, lines);
        await env.Gateway.WaitForInFlightAsync(2);

        var proxied = ChatAsync(env.Http);
        await env.Gateway.WaitForInFlightAsync(3);
        var during = env.GetService<LocalGatewayClient>().GetServers()[0];
        env.Gateway.Resume();
        using var response = await proxied;
        return (during, (int)response.StatusCode, await env.WaitAsync(batchId));
    }

    private static async Task<string> StartBatchAsync(ServerTestEnvironment env, int lines)
    {
        var file = await env.UploadAsync(ChatLines(lines));
        var (_, batch) = await env.CreateBatchAsync(file.Id);
        return batch.GetProperty("id").GetString()!;
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient http) =>
        http.PostAsJsonAsync(new Uri("v1/chat/completions", UriKind.Relative), new { model = "any", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 4 });
}
