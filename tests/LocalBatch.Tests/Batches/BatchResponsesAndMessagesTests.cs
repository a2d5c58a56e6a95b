using System.Text.Json;
using LocalBatch.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>Batches to <c>/v1/responses</c> and <c>/v1/messages</c>: run, answered in their own shapes, their usage summed.</summary>
public sealed class BatchResponsesAndMessagesTests
{
    private const int Total = 3;

    [Fact]
    public async Task CreateAsync_ResponsesLines_RunWithTheResponseObjectAsBodyAndUsageFromItsInputAndOutputTokens()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var lines = string.Concat(Enumerable.Range(1, Total).Select(i =>
            $$$"""{"custom_id":"r-{{{i}}}","method":"POST","url":"/v1/responses","body":{"input":"question {{{i}}}","max_output_tokens":4}}""" + "\n"));

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(lines))).Id);
        var results = await ReadAllAsync(manager.GetResultsAsync(job.Id));

        Assert.Equal((BatchStatus.Completed, "/v1/responses", Total), (job.Status, job.Endpoint, job.RequestCounts.Completed));
        Assert.Equal(Total, env.Gateway.Counters.GetRequests("/v1/responses"));
        Assert.All(results, line =>
        {
            Assert.Equal(200, line.Response!.StatusCode);
            Assert.Equal("response", line.Response.Body.GetProperty("object").GetString());
            Assert.Equal("output_text", line.Response.Body.GetProperty("output")[0].GetProperty("content")[0].GetProperty("type").GetString());
        });
        var input = results.Sum(line => line.Response!.Body.GetProperty("usage").GetProperty("input_tokens").GetInt64());
        Assert.True(input > 0);
        Assert.Equal((input, Total * 4L, input + (Total * 4)), (job.Usage!.InputTokens, job.Usage.OutputTokens, job.Usage.TotalTokens));
    }

    [Fact]
    public async Task CreateAsync_MessagesLines_RunAsAnthropicMessagesWithUsageCountingTheirCacheReads()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var lines = string.Concat(Enumerable.Range(1, Total).Select(i =>
            $$$"""{"custom_id":"m-{{{i}}}","method":"POST","url":"/v1/messages","body":{"max_tokens":5,"system":"Be terse.","messages":[{"role":"user","content":"question {{{i}}}"}]}}""" + "\n"));

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(lines))).Id);
        var results = await ReadAllAsync(manager.GetResultsAsync(job.Id));

        Assert.Equal((BatchStatus.Completed, Total), (job.Status, job.RequestCounts.Completed));
        Assert.Equal(Total, env.Gateway.Counters.GetRequests("/v1/messages"));
        Assert.All(results, line => Assert.Equal("message", line.Response!.Body.GetProperty("type").GetString()));
        static long Prompt(JsonElement usage) => usage.GetProperty("input_tokens").GetInt64() + usage.GetProperty("cache_read_input_tokens").GetInt64();
        Assert.Equal(results.Sum(line => Prompt(line.Response!.Body.GetProperty("usage"))), job.Usage!.InputTokens);
        Assert.Equal(
            results.Sum(line => line.Response!.Body.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt64()),
            job.Usage.InputTokensDetails.CachedTokens);
        Assert.Equal(Total * 5L, job.Usage.OutputTokens);
    }
}
