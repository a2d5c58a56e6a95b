using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

// List mode: a list's items run on the lanes, each outcome stored at its input position.
internal static partial class LaneEngine
{
    /// <summary>
    /// Runs a list's items with at most <paramref name="lanes"/> in flight and gathers their outcomes in input order.
    /// Given runs (an <see cref="AffinityPlan"/>), each lane takes the next run and sends its items one after another.
    /// </summary>
    /// <exception cref="OperationCanceledException">The batch was cancelled (no item starts after that).</exception>
    public static async Task<BatchItemResult<TResult>[]> RunListAsync<TRequest, TResult>(
        IReadOnlyList<TRequest> items,
        int lanes,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken,
        int[][]? runs = null)
        where TResult : class
    {
        var results = new BatchItemResult<TResult>[items.Count];
        var source = new ListRunSource(items.Count, runs);
        if (source.Runs > 0)
        {
            await RunAsync(
                source,
                Math.Min(lanes, source.Runs),
                (position, lane, token) => operation.RunAsync(position, items[position], lane, tracker, logger, timeProvider, token, results),
                cancellationToken).ConfigureAwait(false);
        }

        return results;
    }
}
