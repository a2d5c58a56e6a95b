using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// Runs a list of items with at most N in flight and gathers their outcomes in input order: every item waits for one
/// of N slots (each request then waits in line for a server's slot in the client), and
/// <see cref="Task.WhenAll{TResult}(Task{TResult}[])"/> collects them.
/// </summary>
internal static class ListFanOut
{
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public static async Task<BatchItemResult<TResult>[]> RunAsync<TRequest, TResult>(
        IReadOnlyList<TRequest> items,
        int concurrency,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
        where TResult : class
    {
        using var slots = new BatchSlots(concurrency);
        var tasks = new Task<BatchItemResult<TResult>>[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            tasks[i] = RunInSlotAsync(i, items[i]);
        }

        return await Task.WhenAll(tasks).ConfigureAwait(false);

        async Task<BatchItemResult<TResult>> RunInSlotAsync(int index, TRequest request)
        {
            using var slot = await slots.AcquireAsync(cancellationToken).ConfigureAwait(false);
            return await operation.RunAsync(index, request, tracker, logger, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }
}
