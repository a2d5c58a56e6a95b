using System.Text.Json;
using LocalBatch.Batches;

namespace LocalBatch.Tests.Batches;

/// <summary>BatchResultLine.IsRetryable: which failures sending the request again may mend.</summary>
public sealed class BatchResultLineRetryableTests
{
    [Theory]
    [InlineData("server_unreachable", true)]
    [InlineData("timeout", true)]
    [InlineData("invalid_response", true)]
    [InlineData("batch_cancelled", true)]
    [InlineData("batch_expired", true)]
    [InlineData("request_failed", true)]
    public void IsRetryable_NoAnswer_IsRetryable(string code, bool expected) =>
        Assert.Equal(expected, new BatchResultLine("batch_req_1", "a", null, new BatchLineError(code, "no answer")).IsRetryable);

    [Theory]
    [InlineData(200, "ok", false)]
    [InlineData(400, "Invalid request", false)]
    [InlineData(401, "Invalid API Key", false)]
    [InlineData(404, "File Not Found", false)]
    [InlineData(408, "Request timeout", true)]
    [InlineData(429, "Too many requests", true)]
    [InlineData(500, "Internal server error", true)]
    [InlineData(500, "input (600 tokens) is too large to process. increase the physical batch size", false)]
    [InlineData(501, "This server does not support embeddings", false)]
    [InlineData(502, "Bad gateway", true)]
    [InlineData(503, "Loading model", true)]
    [InlineData(504, "Gateway timeout", true)]
    public void IsRetryable_Answered_OnlyTransientStatuses(int status, string message, bool expected)
    {
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["error"] = new Dictionary<string, object> { ["code"] = status, ["message"] = message } });

        Assert.Equal(expected, new BatchResultLine("batch_req_1", "a", new BatchResponse(status, "req_1", body), null).IsRetryable);
    }
}
