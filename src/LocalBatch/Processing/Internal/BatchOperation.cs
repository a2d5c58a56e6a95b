using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>How to send one item of a batch and what it used: the piece that differs between completions, chat and raw lines.</summary>
internal sealed class BatchOperation<TRequest, TResult>(
    Func<TRequest, RequestTelemetry, CancellationToken, Task<TResult>> send,
    Func<TResult, Usage?> usage,
    Func<TResult, BatchItemError?>? failureOf = null)
    where TResult : class
{
    /// <summary>
    /// Runs one item to its final outcome. A failure becomes the item's error; only cancellation of the
    /// batch itself escapes, so one bad item never fails or cancels the others.
    /// </summary>
    // lane: the lane the item runs on, when its batch runs in lanes: its request goes to the lane's server when it has room.
    public async Task<BatchItemResult<TResult>> RunAsync(int index, TRequest request, BatchProgressTracker tracker, ILogger logger, TimeProvider timeProvider, CancellationToken cancellationToken, Lane? lane = null)
    {
        var telemetry = new RequestTelemetry { PreferredServer = lane?.Server };
        var started = timeProvider.GetTimestamp();
        tracker.ItemStarted();
        TResult? value = null;
        BatchItemError? error;
        try
        {
            value = await send(request, telemetry, cancellationToken).ConfigureAwait(false);
            error = failureOf?.Invoke(value);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            tracker.ItemCancelled();
            throw;
        }
        catch (Exception ex)
        {
            error = BatchItemError.FromException(ex);
        }

        if (error is not null)
        {
            Log.BatchItemFailed(logger, index, error.ToString());
        }

        if (lane is not null)
        {
            lane.Server = telemetry.Server ?? lane.Server;
        }

        tracker.ItemFinished(error is null, error is null && value is not null ? usage(value) : null);
        return new BatchItemResult<TResult>
        {
            Index = index,
            Value = value,
            Error = error,
            Attempts = Math.Max(1, telemetry.Attempts),
            Elapsed = timeProvider.GetElapsedTime(started),
        };
    }
}
