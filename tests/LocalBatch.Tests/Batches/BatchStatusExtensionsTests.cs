using LocalBatch.Batches;

namespace LocalBatch.Tests.Batches;

public sealed class BatchStatusExtensionsTests
{
    [Theory]
    [InlineData(BatchStatus.Validating, "validating")]
    [InlineData(BatchStatus.Failed, "failed")]
    [InlineData(BatchStatus.InProgress, "in_progress")]
    [InlineData(BatchStatus.Finalizing, "finalizing")]
    [InlineData(BatchStatus.Completed, "completed")]
    [InlineData(BatchStatus.Expired, "expired")]
    [InlineData(BatchStatus.Cancelling, "cancelling")]
    [InlineData(BatchStatus.Cancelled, "cancelled")]
    public void ToWireName_EveryStatus_IsOpenAIsName(BatchStatus status, string name) =>
        Assert.Equal(name, status.ToWireName());

    [Fact]
    public void ToWireName_UndefinedValue_IsItsNumber() =>
        Assert.Equal("42", ((BatchStatus)42).ToWireName());
}
