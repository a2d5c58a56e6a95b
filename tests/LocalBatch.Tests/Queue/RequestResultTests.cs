namespace LocalBatch.Tests.Queue;

public sealed class RequestResultTests
{
    [Fact]
    public void GetValue_CompletedWithoutValue_ReturnsNullForReferenceTypesOnly()
    {
        var result = new RequestResult { RequestId = "job", Status = RequestStatus.Completed };

        Assert.Null(result.GetValue<string>());
        Assert.Null(result.GetValue<int?>());
        var error = Assert.Throws<InvalidCastException>(() => result.GetValue<int>());
        Assert.Contains("'job' completed with no value, not a Int32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetValue_CompletedWithAnotherType_ThrowsInvalidCastExceptionNamingBoth()
    {
        var result = new RequestResult { RequestId = "job", Status = RequestStatus.Completed, Value = new CompletionResponse() };

        var error = Assert.Throws<InvalidCastException>(() => result.GetValue<ChatCompletionResponse>());

        Assert.Contains("a CompletionResponse, not a ChatCompletionResponse", error.Message, StringComparison.Ordinal);
        Assert.IsType<CompletionResponse>(result.GetValue<object>());
    }

    [Theory]
    [InlineData(RequestStatus.Pending)]
    [InlineData(RequestStatus.Running)]
    [InlineData(RequestStatus.TimedOut)]
    public void GetValue_NotFinished_ThrowsInvalidOperationException(RequestStatus status)
    {
        var result = new RequestResult { RequestId = "job", Status = status };

        var error = Assert.Throws<InvalidOperationException>(() => result.GetValue<object>());

        Assert.Contains($"has not finished (status {status})", error.Message, StringComparison.Ordinal);
        Assert.False(result.IsFinished);
    }

    [Fact]
    public void GetValue_FailedWithoutException_ThrowsInvalidOperationExceptionWithTheMessage()
    {
        var result = new RequestResult
        {
            RequestId = "job",
            Status = RequestStatus.Failed,
            Error = new BatchItemError(GatewayErrorKind.Server, 503, "unavailable_error", "Loading model"),
        };

        var error = Assert.Throws<InvalidOperationException>(() => result.GetValue<object>());

        Assert.Contains("Loading model", error.Message, StringComparison.Ordinal);
        Assert.True(result.IsFinished);
    }
}
