using LocalBatch.Gateway.Internal;

namespace LocalBatch.Tests.Gateway;

public sealed class GatewayErrorClassifierTests
{
    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public void IsTransientStatus_RetryableStatus_IsTransient(int status) =>
        Assert.True(GatewayErrorClassifier.IsTransientStatus(status, "Loading model"));

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(413)]
    [InlineData(422)]
    [InlineData(501)]
    public void IsTransientStatus_RequestError_IsNotTransient(int status) =>
        Assert.False(GatewayErrorClassifier.IsTransientStatus(status, null));

    [Theory]
    [InlineData("input (601 tokens) is too large to process. increase the physical batch size (current batch size: 512)")]
    [InlineData("[json.exception.parse_error.101] parse error at line 1, column 19: syntax error")]
    [InlineData("\"prompt\" must not be empty")]
    public void IsTransientStatus_LlamaServersPermanent500_IsNotTransient(string message)
    {
        Assert.False(GatewayErrorClassifier.IsTransientStatus(500, message));
        Assert.True(GatewayErrorClassifier.IsPermanentServerError(message));
    }

    [Fact]
    public void IsTransientStatus_500WithoutMessage_IsTransient() =>
        Assert.True(GatewayErrorClassifier.IsTransientStatus(500, null));
}
