using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Batches;

namespace LocalBatch.Tests.Batches;

public sealed partial class BatchResultLineTests
{
    [Fact]
    public void GetBody_ChatAnswer_ReadsTheLibrarysTypeWithoutReflection()
    {
        var line = Line(200, """{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""");

        var body = line.GetBody<ChatCompletionResponse>();

        Assert.Equal("Hello", body.Content);
        Assert.Equal(4, body.Usage!.TotalTokens);
        Assert.True(line.TryGetBody<ChatCompletionResponse>(out var again));
        Assert.Equal("Hello", again.Content);
    }

    [Fact]
    public void GetBody_OwnTypeInfo_ReadsAnyType()
    {
        var line = Line(200, """{"verdict":"spam"}""");

        Assert.Equal("spam", line.GetBody(VerdictContext.Default.Verdict).Value);
    }

    [Fact]
    public void GetBody_ErrorLine_ThrowsSayingWhy()
    {
        var noAnswer = new BatchResultLine("id", "c-1", null, new BatchLineError("timeout", "too slow"));
        var refused = Line(400, """{"error":{"code":400,"message":"bad","type":"invalid_request_error"}}""");

        Assert.Contains("timeout", Assert.Throws<InvalidOperationException>(() => noAnswer.GetBody<CompletionResponse>()).Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 400", Assert.Throws<InvalidOperationException>(() => refused.GetBody<CompletionResponse>()).Message, StringComparison.Ordinal);
        Assert.False(refused.TryGetBody<CompletionResponse>(out _));
        Assert.False(noAnswer.TryGetBody<CompletionResponse>(out _));
    }

    [Fact]
    public void TryGetBody_BodyNotThatType_ReturnsFalse() =>
        Assert.False(Line(200, """{"choices":"not a list"}""").TryGetBody<CompletionResponse>(out _));

    [Fact]
    public void GetBody_TypeNotTheLibrarys_ThrowsNotSupported() =>
        Assert.Throws<NotSupportedException>(() => Line(200, "{}").GetBody<Verdict>());

    [Fact]
    public void IsSuccess_IsNotWritten() =>
        Assert.DoesNotContain("is_success", JsonSerializer.Serialize(Line(200, "{}"), BatchJsonContext.Default.BatchResultLine), StringComparison.OrdinalIgnoreCase);

    private static BatchResultLine Line(int status, string body)
    {
        using var document = JsonDocument.Parse(body);
        return new BatchResultLine("batch_req_1", "c-1", new BatchResponse(status, "req_1", document.RootElement.Clone()), null);
    }

    public sealed record Verdict([property: JsonPropertyName("verdict")] string Value);

    [JsonSerializable(typeof(Verdict))]
    internal sealed partial class VerdictContext : JsonSerializerContext;
}
