using System.Net;
using System.Text.Json.Nodes;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>The prompt cache model over HTTP: cached_tokens, slot choice, id_slot, and the cost of uncached tokens.</summary>
public sealed class SimulatedGatewayPromptCacheTests
{
    private static readonly string s_document = Words("doc", 200);

    [Fact]
    public async Task Completions_SharedDocument_ReportsCachedTokens()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 1, PromptCache = new() });
        using var http = CreateClient(gateway);

        var first = await CompleteAsync(http, $"{s_document} first question");
        var second = await CompleteAsync(http, $"{s_document} second question");
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(0, CachedTokens(first));
        Assert.Equal(202, (int)second["usage"]!["prompt_tokens"]!);
        Assert.Equal(200, CachedTokens(second));
        Assert.Equal(200, (int)second["timings"]!["cache_n"]!);
        Assert.Equal(2, (int)second["timings"]!["prompt_n"]!);
        Assert.Equal(404, gateway.Counters.PromptTokens);
        Assert.Equal(200, gateway.Counters.CachedPromptTokens);
    }

    [Fact]
    public async Task Completions_PromptCacheOff_NothingCached()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 1 });
        using var http = CreateClient(gateway);

        await CompleteAsync(http, $"{s_document} first question");
        var second = await CompleteAsync(http, $"{s_document} second question");
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(0, CachedTokens(second));
        Assert.Equal(0, (int)second["timings"]!["cache_n"]!);
        Assert.Equal(202, (int)second["timings"]!["prompt_n"]!);
        Assert.Equal(0, gateway.Counters.CachedPromptTokens);
    }

    [Fact]
    public async Task Chat_SharedSystemPromptAndDocument_ReusesTheRenderedPrefix()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 1, PromptCache = new() });
        using var http = CreateClient(gateway);

        await ChatAsync(http, "You answer briefly.", $"{s_document} What is it about?");
        var second = await ChatAsync(http, "You answer briefly.", $"{s_document} Who wrote it?");

        // System message: start, role, separator, 3 words, end; then the user message's start, role, separator
        // and the document's 200 words.
        Assert.Equal(4 + 3 + 4 + 203, (int)second["usage"]!["prompt_tokens"]!);
        Assert.Equal(7 + 3 + 200, CachedTokens(second));
    }

    [Fact]
    public async Task Completions_FourSlots_EachDocumentGoesBackToTheSlotHoldingIt()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 4, PromptCache = new() });
        using var http = CreateClient(gateway);
        var documents = Enumerable.Range(0, 4).Select(d => Words($"d{d}w", 50)).ToArray();

        var cached = new List<int>();
        for (var question = 0; question < 3; question++)
        {
            foreach (var document in documents)
            {
                cached.Add(CachedTokens(await CompleteAsync(http, $"{document} question {question}")));
            }
        }

        Assert.Equal([0, 0, 0, 0, .. Enumerable.Repeat(51, 8)], cached);
        Assert.All(Enumerable.Range(0, 4), slot => Assert.Equal(3, gateway.Counters.GetSlotRequests(slot)));
    }

    [Fact]
    public async Task Completions_NothingShared_NoCacheHits()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 2, PromptCache = new() });
        using var http = CreateClient(gateway);

        var requests = Enumerable.Range(0, 16).Select(i => CompleteAsync(http, $"{Words($"p{i}w", 20)} question"));
        await Task.WhenAll(requests);
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(16 * 21, gateway.Counters.PromptTokens);
        Assert.Equal(0, gateway.Counters.CachedPromptTokens);
    }

    [Fact]
    public async Task Completions_IdSlot_RunsOnThatSlotModuloSlots()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 3 });
        using var http = CreateClient(gateway);

        foreach (var slot in new[] { 1, 4, 1, 7 })
        {
            using var response = await PostAsync(http, "/v1/completions", $$"""{"prompt":"x","id_slot":{{slot}}}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(4, gateway.Counters.GetSlotRequests(1));
        Assert.Equal(0, gateway.Counters.GetSlotRequests(0) + gateway.Counters.GetSlotRequests(2));
    }

    [Fact]
    public async Task LatencyPerPromptToken_PromptCache_WorkProportionalToUncachedTokens()
    {
        var latency = TimeSpan.FromMilliseconds(1);
        var perPromptToken = TimeSpan.FromMilliseconds(0.05);
        var perToken = TimeSpan.FromMilliseconds(0.1);
        var options = new SimulatedGatewayOptions
        {
            Slots = 1,
            Latency = latency,
            LatencyPerPromptToken = perPromptToken,
            LatencyPerToken = perToken,
        };

        var cold = await RunQuestionsAsync(options);
        options.PromptCache = new();
        var cached = await RunQuestionsAsync(options);

        // 8 questions of 202 tokens: 1616 prompt tokens evaluated without the cache; with it, 202 + 7 x 2.
        Assert.Equal((8 * latency) + (1616 * perPromptToken) + (32 * perToken), cold.Work);
        Assert.Equal((8 * latency) + (216 * perPromptToken) + (32 * perToken), cached.Work);
        Assert.Equal((latency + (2 * perPromptToken)).TotalMilliseconds, cached.LastPromptMilliseconds, 6);
        Assert.Equal(1400, cached.CachedTokens);
    }

    [Fact]
    public async Task StartAsync_InvalidPromptCacheOptions_ReportsEveryError()
    {
        var options = new SimulatedGatewayOptions
        {
            LatencyPerPromptToken = TimeSpan.FromMilliseconds(-1),
            EmbeddingLatencyPerInput = TimeSpan.FromMilliseconds(-1),
            PromptCache = new() { SlotPromptSimilarity = 1.5, HostCacheTokens = -1 },
        };

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => SimulatedGateway.StartAsync(options));

        Assert.Contains("LatencyPerPromptToken", exception.Message, StringComparison.Ordinal);
        Assert.Contains("EmbeddingLatencyPerInput", exception.Message, StringComparison.Ordinal);
        Assert.Contains("PromptCache.SlotPromptSimilarity", exception.Message, StringComparison.Ordinal);
        Assert.Contains("PromptCache.HostCacheTokens", exception.Message, StringComparison.Ordinal);
    }

    private static async Task<(TimeSpan Work, double LastPromptMilliseconds, long CachedTokens)> RunQuestionsAsync(SimulatedGatewayOptions options)
    {
        await using var gateway = await SimulatedGateway.StartAsync(options);
        using var http = CreateClient(gateway);
        JsonNode? last = null;
        for (var question = 0; question < 8; question++)
        {
            last = await CompleteAsync(http, $"{s_document} question{question} now");
        }

        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);
        return (gateway.Counters.SlotWorkTime, (double)last!["timings"]!["prompt_ms"]!, gateway.Counters.CachedPromptTokens);
    }

    private static string Words(string stem, int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(i => $"{stem}{i}"));

    private static int CachedTokens(JsonNode response) => (int)response["usage"]!["prompt_tokens_details"]!["cached_tokens"]!;

    private static async Task<JsonNode> CompleteAsync(HttpClient http, string prompt)
    {
        var body = new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 4 };
        using var response = await PostAsync(http, "/v1/completions", body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    private static async Task<JsonNode> ChatAsync(HttpClient http, string system, string user)
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = system },
                new JsonObject { ["role"] = "user", ["content"] = user }),
        };
        using var response = await PostAsync(http, "/v1/chat/completions", body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }
}
