using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

// Stream mode: a lazily read input runs on the lanes, each outcome yielded as it finishes.
internal static partial class LaneEngine
{
    /// <summary>
    /// Runs a lazily read input (each request a run of its own, or runs of shared prompt prefixes) on
    /// <paramref name="lanes"/> lanes and yields each request with its outcome as it finishes. Memory stays O(lanes)
    /// whatever the input's length: the next run is read only when a lane is free, and at most as many finished outcomes
    /// wait for the consumer as there are lanes.
    /// </summary>
    public static IAsyncEnumerable<(TRequest Request, BatchItemResult<TResult> Result)> StreamAsync<TRequest, TResult>(
        Func<CancellationToken, AsyncRunSource<TRequest>> source,
        int lanes,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
        where TResult : class =>
        OutcomeChannel.ReadAsync<(TRequest, BatchItemResult<TResult>)>(
            lanes,
            (writer, token) => ProduceAsync(source(token), lanes, writer, operation, tracker, logger, timeProvider, token),
            cancellationToken);

    private static async Task ProduceAsync<TRequest, TResult>(
        AsyncRunSource<TRequest> source,
        int lanes,
        ChannelWriter<(TRequest, BatchItemResult<TResult>)> writer,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
        where TResult : class
    {
        Exception? failure = null;
        try
        {
            await RunAsync(
                source,
                lanes,
                async (item, lane, token) =>
                {
                    var result = await operation.RunAsync(item.Position, item.Request, lane, tracker, logger, timeProvider, token).ConfigureAwait(false);
                    await writer.WriteAsync((item.Request, result), token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
            tracker.SetTotal(source.Count);
        }
        catch (Exception ex)
        {
            // The input itself failed (a reader error) or the batch was cancelled: no more runs start.
            failure = ex;
        }
        finally
        {
            await source.DisposeAsync().ConfigureAwait(false);
            writer.TryComplete(failure);
        }
    }
}
