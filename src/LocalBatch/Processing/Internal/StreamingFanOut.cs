using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// Runs a lazily read input with at most N items in flight and yields each outcome as it finishes.
/// Memory stays O(N) whatever the input's length: the next input is read only when a slot frees up,
/// and at most N finished outcomes wait for the consumer.
/// </summary>
internal static class StreamingFanOut
{
    public static IAsyncEnumerable<(TRequest Request, BatchItemResult<TResult> Result)> RunAsync<TRequest, TResult>(
        IAsyncEnumerable<TRequest> source,
        int concurrency,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
        where TResult : class =>
        OutcomeChannel.ReadAsync<(TRequest, BatchItemResult<TResult>)>(
            concurrency,
            (writer, token) => ProduceAsync(source, concurrency, writer, operation, tracker, logger, timeProvider, token),
            cancellationToken);

    private static async Task ProduceAsync<TRequest, TResult>(
        IAsyncEnumerable<TRequest> source,
        int concurrency,
        ChannelWriter<(TRequest, BatchItemResult<TResult>)> writer,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
        where TResult : class
    {
        // Disposed only once every item has finished (the WhenAll below), each having given its reservation back.
        using var slots = new BatchSlots(concurrency);
        var running = new List<Task>();
        Exception? failure = null;
        var index = 0;
        try
        {
            await foreach (var request in source.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                // The producer only waits for room in the batch's bound: each request then waits in line for a server's
                // slot in the client, so that a batch always has its waiting requests in line.
                await slots.ReserveAsync(cancellationToken).ConfigureAwait(false);
                running.Add(RunOneAsync(index++, request));
                if (running.Count > (2 * concurrency) + 64)
                {
                    running.RemoveAll(static task => task.IsCompleted);
                }
            }

            tracker.SetTotal(index);
        }
        catch (Exception ex)
        {
            // The input itself failed (a reader error) or the batch was cancelled: no more items start.
            failure = ex;
        }

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception ex) when (failure is null)
        {
            failure = ex;
        }
        catch (Exception)
        {
            // The first failure is the one reported.
        }
        finally
        {
            writer.TryComplete(failure);
        }

        async Task RunOneAsync(int position, TRequest request)
        {
            try
            {
                var result = await operation.RunAsync(position, request, tracker, logger, timeProvider, cancellationToken).ConfigureAwait(false);

                await writer.WriteAsync((request, result), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slots.Unreserve();
            }
        }
    }
}
