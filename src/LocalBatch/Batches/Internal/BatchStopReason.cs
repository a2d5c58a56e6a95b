namespace LocalBatch.Batches.Internal;

/// <summary>Why a batch run stopped before its input was exhausted.</summary>
internal enum BatchStopReason
{
    /// <summary>It did not stop early.</summary>
    None,

    /// <summary>The batch was cancelled: unrun requests are recorded as <c>batch_cancelled</c>.</summary>
    Cancel,

    /// <summary>The completion window ended: unrun requests are recorded as <c>batch_expired</c>.</summary>
    Expire,

    /// <summary>The process is stopping: the batch stays <c>in_progress</c> and resumes next time.</summary>
    Shutdown,
}
