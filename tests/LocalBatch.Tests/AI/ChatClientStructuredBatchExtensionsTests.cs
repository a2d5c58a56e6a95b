using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.AI;
using static LocalBatch.Tests.Support.FakeChatClient;

namespace LocalBatch.Tests.AI;

/// <summary>Typed batches: the schema goes with every request, answers are read as the type, bad ones are failed items.</summary>
public sealed class ChatClientStructuredBatchExtensionsTests
{
    [Fact]
    public async Task ProcessBatchAsyncOfT_JsonAnswers_ReadInInputOrder()
    {
        using var client = new FakeChatClient(async (messages, ct) =>
        {
            await Task.Yield();
            var n = int.Parse(LastUserText(messages)[1..], System.Globalization.CultureInfo.InvariantCulture);
            return Answer($$"""{"mood":"{{(n % 2 == 0 ? "Positive" : "Negative")}}","score":{{n}}}""");
        });

        var results = await client.ProcessBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(50));

        Assert.Equal(Enumerable.Range(0, 50), results.Select(r => r.Index));
        Assert.All(results, r =>
        {
            Assert.True(r.IsSuccess, r.Error?.Message);
            Assert.Equal(new Verdict(r.Index % 2 == 0 ? Mood.Positive : Mood.Negative, r.Index), r.Value.Result);
        });
    }

    [Fact]
    public async Task ProcessBatchAsyncOfT_EveryRequest_AsksForTheTypesJsonSchema()
    {
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(Answer("""{"mood":"Positive","score":1}""")));

        await client.ProcessBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(3), new ChatOptions { ModelId = "m" });

        Assert.Equal(3, client.ReceivedOptions.Count);
        Assert.All(client.ReceivedOptions, options =>
        {
            var format = Assert.IsType<ChatResponseFormatJson>(options!.ResponseFormat);
            var schema = format.Schema!.Value.GetRawText();
            Assert.Contains("\"score\"", schema, StringComparison.Ordinal);
            Assert.Contains("\"Positive\"", schema, StringComparison.Ordinal);
            Assert.Equal("m", options.ModelId);
        });
    }

    [Fact]
    public async Task ProcessBatchAsyncOfT_AnswerNotJson_IsAFailedItemThatKeepsTheResponse()
    {
        var progress = new CollectingProgress();
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(LastUserText(messages) == "q1"
            ? Answer("the model simulated answer")
            : Answer("""{"mood":"Negative","score":2}""")));

        var results = await client.ProcessBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(3), progress: progress);

        var bad = results[1];
        Assert.False(bad.IsSuccess);
        Assert.Equal((GatewayErrorKind.InvalidResponse, ChatClientStructuredBatchExtensions.StructuredOutputErrorType), (bad.Error.Kind, bad.Error.Type));
        Assert.StartsWith("The answer is not a Verdict as JSON: ", bad.Error.Message, StringComparison.Ordinal);
        Assert.IsType<JsonException>(bad.Error.Exception, exactMatch: false);
        Assert.Equal("the model simulated answer", bad.Value!.Text);
        Assert.True(results[0].IsSuccess && results[2].IsSuccess);
        Assert.Equal(1, progress.Reports.Last().Failed);
    }

    [Fact]
    public async Task ProcessBatchAsyncOfT_EmptyAnswer_IsAFailedItemSayingSo()
    {
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(Answer(string.Empty)));

        var result = Assert.Single(await client.ProcessBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(1)));

        Assert.Contains("did not contain JSON", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessBatchAsyncOfT_SourceGeneratedOptions_DescribeAndReadTheType()
    {
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(Answer("""{"MOOD":"Negative","SCORE":9}""")));

        var results = await client.ProcessBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(2), VerdictJsonContext.Default.Options);

        Assert.All(results, r => Assert.Equal(new Verdict(Mood.Negative, 9), r.Value!.Result));
        var schema = Assert.IsType<ChatResponseFormatJson>(client.ReceivedOptions.First()!.ResponseFormat).Schema!.Value.GetRawText();
        Assert.Contains("\"SCORE\"", schema, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessBatchAsyncOfT_ClientThrows_IsAFailedItemWithoutAResponse()
    {
        using var client = new FakeChatClient((messages, ct) => Task.FromException<ChatResponse>(new HttpRequestException("refused")));

        var result = Assert.Single(await client.ProcessBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(1)));

        Assert.Null(result.Value);
        Assert.Equal("refused", result.Error!.Message);
    }

    [Fact]
    public async Task StreamBatchAsyncOfT_AsItFinishes_EachResultReadAndIndexedByInputPosition()
    {
        using var client = new FakeChatClient(async (messages, ct) =>
        {
            await Task.Yield();
            return Answer($$"""{"mood":"Positive","score":{{LastUserText(messages)[1..]}}}""");
        });

        var results = new List<BatchItemResult<ChatResponse<Verdict>>>();
        await foreach (var result in client.StreamBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(40), batchOptions: new ChatBatchOptions { MaxConcurrency = 5 }))
        {
            results.Add(result);
        }

        Assert.Equal(Enumerable.Range(0, 40), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.Equal(r.Index, r.Value!.Result.Score));
    }

    [Fact]
    public async Task StreamBatchAsyncOfT_SourceGeneratedOptionsAndAsyncInput_ReadWithThem()
    {
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(Answer("""{"MOOD":"Positive","SCORE":3}""")));

        var results = new List<BatchItemResult<ChatResponse<Verdict>>>();
        await foreach (var result in client.StreamBatchAsync<Verdict>(ChatClientBatchExtensionsTests.Conversations(4).ToAsyncEnumerable(), VerdictJsonContext.Default.Options))
        {
            results.Add(result);
        }

        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.Equal(new Verdict(Mood.Positive, 3), r.Value!.Result));
    }

    public enum Mood
    {
        Positive,
        Negative,
    }

    public sealed record Verdict(Mood Mood, int Score);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseUpper)]
[JsonSerializable(typeof(ChatClientStructuredBatchExtensionsTests.Verdict))]
internal sealed partial class VerdictJsonContext : JsonSerializerContext;
