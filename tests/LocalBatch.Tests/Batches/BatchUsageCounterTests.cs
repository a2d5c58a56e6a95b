using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Batches.Internal;

namespace LocalBatch.Tests.Batches;

public sealed class BatchUsageCounterTests
{
    [Fact]
    public void Add_LinesWithUsageAndDetails_SumsThemInOpenAIsShape()
    {
        var usage = new BatchUsageCounter();

        usage.Add(Line("""{"usage":{"prompt_tokens":10,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":6}}}"""));
        usage.Add(Line("""{"usage":{"prompt_tokens":5,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":2}}}"""));

        var total = usage.Total();
        Assert.Equal((15, 7, 22), (total.InputTokens, total.OutputTokens, total.TotalTokens));
        Assert.Equal(6, total.InputTokensDetails.CachedTokens);
        Assert.Equal(2, total.OutputTokensDetails.ReasoningTokens);
    }

    [Fact]
    public void Add_ResponseObjects_SumsTheirInputAndOutputTokensWithDetails()
    {
        var usage = new BatchUsageCounter();

        // llama-server's /v1/responses usage, then one with reasoning as OpenAI's Response object has it.
        usage.Add(Line("""{"object":"response","usage":{"input_tokens":53,"output_tokens":8,"total_tokens":61,"input_tokens_details":{"cached_tokens":40}}}"""));
        usage.Add(Line("""{"object":"response","usage":{"input_tokens":7,"output_tokens":12,"total_tokens":19,"output_tokens_details":{"reasoning_tokens":5}}}"""));

        var total = usage.Total();
        Assert.Equal((60, 20, 80), (total.InputTokens, total.OutputTokens, total.TotalTokens));
        Assert.Equal(40, total.InputTokensDetails.CachedTokens);
        Assert.Equal(5, total.OutputTokensDetails.ReasoningTokens);
    }

    [Fact]
    public void Add_AnthropicMessages_CountsCacheReadsAsCachedInputTokens()
    {
        var usage = new BatchUsageCounter();

        // llama-server's /v1/messages usage: input_tokens is only the part not read from the cache.
        usage.Add(Line("""{"type":"message","usage":{"cache_read_input_tokens":52,"input_tokens":1,"output_tokens":8}}"""));
        usage.Add(Line("""{"type":"message","usage":{"cache_creation_input_tokens":3,"input_tokens":10,"output_tokens":2}}"""));

        var total = usage.Total();
        Assert.Equal((66, 10, 76), (total.InputTokens, total.OutputTokens, total.TotalTokens));
        Assert.Equal(52, total.InputTokensDetails.CachedTokens);
    }

    [Fact]
    public void Add_LinesWithoutUsable_AddNothing()
    {
        var usage = new BatchUsageCounter();

        usage.Add(Line("""{"choices":[]}"""));
        usage.Add(Line("""{"usage":"none"}"""));
        usage.Add(Line("""{"usage":{"prompt_tokens":"many","prompt_tokens_details":3}}"""));
        usage.Add(new BatchResultLine("id", "c", null, new BatchLineError("timeout", "slow")));

        Assert.Equal(new BatchUsage(0, 0, 0), usage.Total());
    }

    [Fact]
    public void StartRun_AfterEarlierLines_RunTokensCountOnlyWhatFollows()
    {
        var usage = new BatchUsageCounter();
        usage.Add(Line("""{"usage":{"prompt_tokens":100,"completion_tokens":50}}"""));
        Assert.Equal(0, usage.RunInputTokens);

        usage.StartRun();
        usage.Add(Line("""{"usage":{"prompt_tokens":7,"completion_tokens":3}}"""));

        Assert.Equal((7, 3), (usage.RunInputTokens, usage.RunOutputTokens));
        Assert.Equal(107, usage.Total().InputTokens);
    }

    private static BatchResultLine Line(string body)
    {
        using var document = JsonDocument.Parse(body);
        return new BatchResultLine("id", "c", new BatchResponse(200, "r", document.RootElement.Clone()), null);
    }
}
