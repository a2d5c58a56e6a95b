using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// Runs a list of items with at most N in flight and gathers their outcomes in input order: N workers take the next
/// item in turn until none is left (each request then waits in line for a server's slot in the client), and
/// <see cref="Task.WhenAll(Task[])"/> waits for them. No task, semaphore wait or state machine is made per item beyond
/// the request itself, which is what keeps a batch of thousands as cheap as a loop of its requests. Given runs (an
/// <see cref="AffinityPlan"/>), each worker is a lane: it takes the next run and sends its items one after another.
/// </summary>
internal static class ListFanOut
{
    /// <exception cref="OperationCanceledException">The batch was cancelled (no item starts after that).</exception>
    public static async Task<BatchItemResult<TResult>[]> RunAsync<TRequest, TResult>(
        IReadOnlyList<TRequest> items,
        int concurrency,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken,
        int[][]? runs = null)
        where TResult : class
    {
        var results = new BatchItemResult<TResult>[items.Count];
        var next = -1;
        var workers = new Task[Math.Min(concurrency, runs?.Length ?? items.Count)];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = WorkAsync();
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        return results;

        async Task WorkAsync()
        {
            if (runs is not null)
            {
                var lane = new Lane();
                int run;
                while ((run = Interlocked.Increment(ref next)) < runs.Length)
                {
                    foreach (var position in runs[run])
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        results[position] = await operation.RunAsync(position, items[position], tracker, logger, timeProvider, cancellationToken, lane).ConfigureAwait(false);
                    }
                }

                return;
            }

            int index;
            while ((index = Interlocked.Increment(ref next)) < items.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                results[index] = await operation.RunAsync(index, items[index], tracker, logger, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
