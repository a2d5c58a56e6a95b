namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>One batch as its dashboard page shows it.</summary>
/// <param name="Batch">What the list shows of it.</param>
/// <param name="InFlight">Its requests sent and not yet answered.</param>
/// <param name="PromptTokens">The prompt tokens of its successful requests.</param>
/// <param name="CompletionTokens">The generated tokens of its successful requests.</param>
/// <param name="Yielding">
/// Whether batch work leaves slots free for interactive traffic now (<see cref="BatchProgress.IsYielding"/>), or
/// <see langword="null"/> when the batch does not run here.
/// </param>
/// <param name="Servers">Each server's figures while it runs here (every batch together), in the options' order.</param>
/// <param name="Errors">Its first failed lines.</param>
/// <param name="OutputFileId">Its output file, once it has ended with one.</param>
/// <param name="ErrorFileId">Its error file, once it has ended with one.</param>
/// <param name="CanCancel">Whether it can still be cancelled.</param>
internal sealed record DashboardBatchDetail(
    DashboardBatch Batch,
    int InFlight,
    long PromptTokens,
    long CompletionTokens,
    bool? Yielding,
    IReadOnlyList<DashboardServer> Servers,
    IReadOnlyList<DashboardLineError> Errors,
    string? OutputFileId,
    string? ErrorFileId,
    bool CanCancel);
