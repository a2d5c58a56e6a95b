namespace LocalBatch.Batches.Internal;

/// <summary>State changes of a batch that more than one place makes.</summary>
internal static class BatchTransitions
{
    /// <summary>
    /// A batch whose validation never finished (the call was cancelled, the disk failed, or the process stopped):
    /// its input was a stream that is gone, so it cannot resume. It ends failed, having sent nothing.
    /// </summary>
    public static BatchJob ValidationInterrupted(BatchJob job, DateTimeOffset now) => job with
    {
        Status = BatchStatus.Failed,
        FailedAt = now.ToUnixTimeSeconds(),
        Errors = new BatchErrors([new BatchValidationError("validation_interrupted", "The input was not fully validated (the creation was cancelled or its process stopped); nothing was sent. Create the batch again.", null, null)]),
        RequestCounts = new BatchRequestCounts(0, 0, 0),
    };
}
