namespace LocalBatch.Batches.Internal;

/// <summary>
/// Why a batch run stopped before its input was exhausted: the one value that every way of stopping a run gives, and
/// from which the run decides the batch's fate. The cases are the nested records; a run that was not stopped has none.
/// </summary>
internal abstract record BatchStopReason
{
    private BatchStopReason()
    {
    }

    /// <summary>The batch was cancelled: unrun requests are recorded as <c>batch_cancelled</c> and it ends <c>cancelled</c>.</summary>
    public sealed record Cancel : BatchStopReason;

    /// <summary>The completion window ended: unrun requests are recorded as <c>batch_expired</c> and it ends <c>expired</c>.</summary>
    public sealed record Expire : BatchStopReason;

    /// <summary>The process is stopping: the batch stays <c>in_progress</c> and resumes next time.</summary>
    public sealed record Shutdown : BatchStopReason;

    /// <summary>
    /// The server refused the API key (401 or 403: it refuses every request alike): the batch stays <c>in_progress</c>,
    /// to resume with the right key, and whoever waits for it sees the refusal.
    /// </summary>
    /// <param name="Refusal">The first refused request's error: its status, type and message.</param>
    public sealed record KeyRefused(BatchItemError Refusal) : BatchStopReason;

    /// <summary>
    /// The server stopped answering, even <c>/health</c>, after every retry: the batch stays <c>in_progress</c>, to resume
    /// once the server is back, and whoever waits for it sees the error.
    /// </summary>
    /// <param name="Error">The error of the request that found the server gone.</param>
    public sealed record ServerGone(BatchItemError Error) : BatchStopReason;
}
