using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// Runs a lazily read sequence of runs (requests that share a prompt prefix) on N lanes: each lane takes the next run
/// and sends its requests one after another, the lanes side by side, so that at most N requests are in flight and a
/// run's shared part is processed once by the slot that serves it. Outcomes are yielded as they finish; memory stays
/// O(N runs) whatever the input's length.
/// </summary>
internal static class LaneFanOut
{
    public static IAsyncEnumerable<(TRequest Request, BatchItemResult<TResult> Result)> RunAsync<TRequest, TResult>(
        IAsyncEnumerable<IReadOnlyList<TRequest>> runs,
        int lanes,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
        where TResult : class =>
        OutcomeChannel.ReadAsync<(TRequest, BatchItemResult<TResult>)>(
            lanes,
            (writer, token) => RunLanesAsync(runs, lanes, writer, operation, tracker, logger, timeProvider, token),
            cancellationToken);

    private static async Task RunLanesAsync<TRequest, TResult>(
        IAsyncEnumerable<IReadOnlyList<TRequest>> runs,
        int lanes,
        ChannelWriter<(TRequest, BatchItemResult<TResult>)> writer,
        BatchOperation<TRequest, TResult> operation,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
        where TResult : class
    {
        // The runs are read by one lane at a time: an enumerator is not for several readers.
        using var reading = new SemaphoreSlim(1, 1);
        var enumerator = runs.GetAsyncEnumerator(cancellationToken);
        var position = -1;
        Exception? failure = null;
        try
        {
            var workers = new Task[lanes];
            for (var i = 0; i < lanes; i++)
            {
                workers[i] = LaneAsync();
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
            tracker.SetTotal(position + 1);
        }
        catch (Exception ex)
        {
            // The input failed (a reader error) or the batch was cancelled: no more runs start.
            failure = ex;
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            writer.TryComplete(failure);
        }

        async Task LaneAsync()
        {
            var lane = new Lane();
            while (true)
            {
                IReadOnlyList<TRequest> run;
                await reading.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        return;
                    }

                    run = enumerator.Current;
                }
                finally
                {
                    reading.Release();
                }

                foreach (var request in run)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var result = await operation.RunAsync(Interlocked.Increment(ref position), request, tracker, logger, timeProvider, cancellationToken, lane).ConfigureAwait(false);
                    await writer.WriteAsync((request, result), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
