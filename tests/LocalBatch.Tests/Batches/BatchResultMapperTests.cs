using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Batches.Internal;

namespace LocalBatch.Tests.Batches;

public sealed class BatchResultMapperTests
{
    [Fact]
    public void ToResultLine_Answer_KeepsStatusBodyAndRequestId()
    {
        using var body = JsonDocument.Parse("""{"choices":[{"text":"hi"}]}""");
        var result = Result(new GatewayResponse(200, body.RootElement.Clone(), "req-42"));

        var line = BatchResultMapper.ToResultLine("a", result);

        Assert.StartsWith("batch_req_", line.Id, StringComparison.Ordinal);
        Assert.Equal("a", line.CustomId);
        Assert.Equal(200, line.Response!.StatusCode);
        Assert.Equal("req-42", line.Response.RequestId);
        Assert.Equal("hi", line.Response.Body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Null(line.Error);
        Assert.True(line.IsSuccess);
    }

    [Fact]
    public void ToResultLine_AnswerWithoutRequestId_GetsOne()
    {
        var line = BatchResultMapper.ToResultLine("a", Result(new GatewayResponse(400, default, null)));

        Assert.StartsWith("req_", line.Response!.RequestId, StringComparison.Ordinal);
        Assert.False(line.IsSuccess);
    }

    [Theory]
    [InlineData(GatewayErrorKind.Unreachable, "server_unreachable")]
    [InlineData(GatewayErrorKind.Timeout, "timeout")]
    [InlineData(GatewayErrorKind.InvalidResponse, "invalid_response")]
    [InlineData(GatewayErrorKind.Server, "request_failed")]
    [InlineData(GatewayErrorKind.Request, "request_failed")]
    public void ToResultLine_NoAnswer_CodeByKind(GatewayErrorKind kind, string code)
    {
        var result = new BatchItemResult<GatewayResponse> { Index = 0, Error = new BatchItemError(kind, null, null, "it broke") };

        var line = BatchResultMapper.ToResultLine("a", result);

        Assert.Null(line.Response);
        Assert.Equal(new BatchLineError(code, "it broke"), line.Error);
    }

    [Fact]
    public void Unrun_CancelledOrExpired_GivesOpenAIsCodes()
    {
        Assert.Equal("batch_cancelled", BatchResultMapper.Unrun("a", new BatchStopReason.Cancel()).Error!.Code);
        Assert.Equal("batch_expired", BatchResultMapper.Unrun("a", new BatchStopReason.Expire()).Error!.Code);
    }

    [Fact]
    public void ErrorOf_Success_IsNull() =>
        Assert.Null(BatchResultMapper.ErrorOf(new GatewayResponse(200, default, null)));

    [Theory]
    [InlineData(400, "invalid_request_error", "'messages' is required", GatewayErrorKind.Request)]
    [InlineData(503, "unavailable_error", "Loading model", GatewayErrorKind.Server)]
    [InlineData(500, "server_error", "input (9 tokens) is too large to process", GatewayErrorKind.Request)]
    public void ErrorOf_ErrorAnswer_ReadsLlamaServersBodyAndClassifies(int status, string type, string message, GatewayErrorKind kind)
    {
        using var body = JsonDocument.Parse(JsonSerializer.Serialize(new { error = new { code = status, message, type } }));

        var error = BatchResultMapper.ErrorOf(new GatewayResponse(status, body.RootElement.Clone(), null))!;

        Assert.Equal(kind, error.Kind);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(type, error.Type);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void ErrorOf_BodyNotAnError_SaysTheStatus() =>
        Assert.Equal("The server answered 502.", BatchResultMapper.ErrorOf(new GatewayResponse(502, default, null))!.Message);

    private static BatchItemResult<GatewayResponse> Result(GatewayResponse response) => new() { Index = 0, Value = response };
}
