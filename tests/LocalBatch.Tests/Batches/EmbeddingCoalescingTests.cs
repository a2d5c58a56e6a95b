using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>A batch file's embedding lines go as array calls and come back as each line's own answer.</summary>
public sealed class EmbeddingCoalescingTests
{
    [Fact]
    public async Task Run_ManyLines_FewCallsAndEachLinesBodyAsItsOwnCallWouldBe()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var texts = Enumerable.Range(0, 100).Select(i => $"text number {i} with {new string('x', i % 7)} words").ToList();

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(Lines(texts)))).Id);
        var output = (await ReadAllAsync(manager.GetResultsAsync(job.Id))).ToDictionary(line => line.CustomId);

        Assert.Equal((BatchStatus.Completed, 100), (job.Status, job.RequestCounts.Completed));
        Assert.True(env.Gateway.Counters.GetRequests("/v1/embeddings") <= 4, $"{env.Gateway.Counters.GetRequests("/v1/embeddings")} calls");
        long shared = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var own = await env.Processor.Client.SendAsync("/v1/embeddings", JsonSerializer.SerializeToElement(new { input = texts[i] }));
            var line = output[$"e-{i}"].Response!.Body;
            Assert.Equal(Without(own.Body, "usage"), Without(line, "usage")); // vectors, indexes, model, object and their order
            Assert.Equal(PropertyNames(own.Body), PropertyNames(line));
            shared += line.GetProperty("usage").GetProperty("prompt_tokens").GetInt64();
        }

        await env.WaitForGatewayIdleAsync();
        Assert.Equal(env.Gateway.Counters.PromptTokens / 2, shared); // the shares add up to what the calls used (the comparison calls used as much again)
    }

    [Fact]
    public async Task Run_ChunkTooLargeForTheServer_SentAgainInHalvesAndATooLargeLineFailsAlone()
    {
        await using var env = await StartAsync();
        env.Gateway.Options.MaxEmbeddingTokensPerRequest = 40;
        env.Gateway.Options.MaxEmbeddingTokensPerInput = 30;
        await using var manager = env.CreateManager();
        var texts = Enumerable.Range(0, 12).Select(i => $"short text {i}").Append(string.Join(' ', Enumerable.Repeat("long", 60))).ToList();

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(Lines(texts)))).Id);

        Assert.Equal((BatchStatus.Completed, 12, 1), (job.Status, job.RequestCounts.Completed, job.RequestCounts.Failed));
        var error = Assert.Single(await ReadAllAsync(manager.GetErrorsAsync(job.Id)));
        Assert.Equal(("e-12", 500), (error.CustomId, error.Response!.StatusCode));
        Assert.Contains("too large", error.Response.Body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OneLineRefusedWith400InAChunk_HalvesDownToItAndOnlyThatLineFails()
    {
        await using var env = await StartAsync();
        env.Gateway.Options.FaultSelector = Simulator.RefuseInputsContaining("BAD");
        await using var manager = env.CreateManager();
        var texts = Enumerable.Range(0, 16).Select(i => i == 11 ? "a BAD text" : $"text {i}").ToList();

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(Lines(texts)))).Id);

        Assert.Equal((BatchStatus.Completed, 15, 1), (job.Status, job.RequestCounts.Completed, job.RequestCounts.Failed));
        var error = Assert.Single(await ReadAllAsync(manager.GetErrorsAsync(job.Id)));
        Assert.Equal(("e-11", 400), (error.CustomId, error.Response!.StatusCode));
        Assert.Contains("Input content cannot be empty", error.Response.Body.GetRawText(), StringComparison.Ordinal);

        // [0,16) refused, [0,8) answered, [8,16) and [8,12) refused, [8,10) answered, [10,12) refused, [10] answered,
        // [11] refused alone, and [12,16) still sent, so that every line has its own answer.
        Assert.Equal(9, env.Gateway.Counters.GetRequests("/v1/embeddings"));
    }

    [Theory]
    [InlineData(false, 501, 1)]
    [InlineData(true, 500, 4)] // a server fault: the first attempt and 3 retries, once
    public async Task Run_ChunkRefusedAsEveryHalfWouldBe_EveryLinesAnswerWithoutSplitting(bool embeddings, int status, int requests)
    {
        await using var env = await StartAsync();
        env.Gateway.Options.EnableEmbeddings = embeddings;
        env.Gateway.Options.FaultSelector = embeddings ? _ => new SimulatedFault(SimulatedFaultKind.InternalServerError) : null;
        await using var manager = env.CreateManager();

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(Lines([.. Enumerable.Range(0, 16).Select(i => $"text {i}")])))).Id);

        Assert.Equal((BatchStatus.Completed, 0, 16), (job.Status, job.RequestCounts.Completed, job.RequestCounts.Failed));
        Assert.All(await ReadAllAsync(manager.GetErrorsAsync(job.Id)), line => Assert.Equal(status, line.Response!.StatusCode));
        Assert.Equal(requests, env.Gateway.Counters.GetRequests("/v1/embeddings"));
    }

    [Fact]
    public async Task Run_DifferentModelsOrTokenInputs_NotMixedInOneCall()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var lines = string.Concat(
            Line("a", new { input = "one", model = "m1" }),
            Line("b", new { input = "two", model = "m1" }),
            Line("c", new { input = "three", model = "m2" }),
            Line("d", new { input = new[] { 1, 2, 3 }, model = "m2" }),
            Line("e", new { input = "four", model = "m2" }));

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(lines))).Id);

        Assert.Equal(5, job.RequestCounts.Completed + job.RequestCounts.Failed);
        Assert.Equal(4, env.Gateway.Counters.GetRequests("/v1/embeddings")); // [a, b], [c], [d], [e]
    }

    private static string Lines(IReadOnlyList<string> texts) =>
        string.Concat(texts.Select((text, i) => Line($"e-{i}", new { input = text })));

    private static string Line(string customId, object body) =>
        JsonSerializer.Serialize(new { custom_id = customId, method = "POST", url = "/v1/embeddings", body }) + "\n";

    private static string Without(JsonElement body, string name) =>
        string.Join(",", body.EnumerateObject().Where(p => p.Name != name).Select(p => $"{p.Name}={p.Value.GetRawText()}"));

    private static List<string> PropertyNames(JsonElement body) => [.. body.EnumerateObject().Select(p => p.Name)];
}
