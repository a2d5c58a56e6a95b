using LocalBatch.Batches;

namespace LocalBatch.Internal.Batches;

/// <summary>The wire names of <see cref="BatchStatus"/> values, for messages.</summary>
internal static class BatchStatusNames
{
    public static string Of(BatchStatus status) => status switch
    {
        BatchStatus.Validating => "validating",
        BatchStatus.Failed => "failed",
        BatchStatus.InProgress => "in_progress",
        BatchStatus.Finalizing => "finalizing",
        BatchStatus.Completed => "completed",
        BatchStatus.Expired => "expired",
        BatchStatus.Cancelling => "cancelling",
        BatchStatus.Cancelled => "cancelled",
        _ => status.ToString(),
    };
}
