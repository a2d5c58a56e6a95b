using System.Runtime.ExceptionServices;
using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>How to send one item of a batch and what it used: the piece that differs between completions, chat, raw lines and other calls.</summary>
/// <param name="send">Sends one item (to the lane's server when it has room) and returns what happened.</param>
/// <param name="usage">The tokens an answer used, for the progress.</param>
/// <param name="failureOf">Whether an answer is a failure after all (a raw line's error status, a typed answer that does not parse).</param>
internal sealed class BatchOperation<TRequest, TResult>(
    Func<TRequest, ServerEndpoint?, CancellationToken, Task<Sent<TResult>>> send,
    Func<TResult, Usage?> usage,
    Func<TResult, BatchItemError?>? failureOf = null)
    where TResult : class
{
    /// <summary>
    /// An operation over a call that knows nothing of servers (any async call): what it throws becomes the item's error
    /// in <see cref="RunAsync"/>, as a send's failure does.
    /// </summary>
    public static BatchOperation<TRequest, TResult> OfCall(
        Func<TRequest, CancellationToken, Task<TResult>> call,
        Func<TResult, Usage?> usage,
        Func<TResult, BatchItemError?>? failureOf = null) =>
        new(
            async (request, _, cancellationToken) => new Sent<TResult>(await call(request, cancellationToken).ConfigureAwait(false), null, null, 1),
            usage,
            failureOf);

    /// <summary>
    /// Runs one item to its final outcome on <paramref name="lane"/>. A failure becomes the item's error; only
    /// cancellation of the batch itself escapes, so one bad item never fails or cancels the others.
    /// </summary>
    // into: where the outcome is also stored, at index (a list batch's results), if anywhere.
    public async Task<BatchItemResult<TResult>> RunAsync(
        int index,
        TRequest request,
        Lane lane,
        BatchProgressTracker tracker,
        ILogger logger,
        TimeProvider timeProvider,
        CancellationToken cancellationToken,
        BatchItemResult<TResult>[]? into = null)
    {
        var started = timeProvider.GetTimestamp();
        tracker.ItemStarted();
        Sent<TResult> sent;
        try
        {
            sent = await send(request, lane.Server, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            tracker.ItemCancelled();
            throw;
        }
        catch (Exception ex)
        {
            sent = new Sent<TResult>(null, ExceptionDispatchInfo.Capture(ex), null, 1);
        }

        var value = sent.Value;
        BatchItemError? error;
        Usage? used = null;
        try
        {
            // The caller's own readers of an answer: one that throws fails its item, never the batch.
            error = sent.Exception is { } failure ? BatchItemError.FromException(failure) : failureOf?.Invoke(value!);
            used = error is null && value is not null ? usage(value) : null;
        }
        catch (Exception ex)
        {
            error = BatchItemError.FromException(ex);
        }

        if (error is not null)
        {
            Log.BatchItemFailed(logger, index, error.ToString());
        }

        lane.Keep(sent.Server);
        tracker.ItemFinished(error is null, used);
        var result = new BatchItemResult<TResult>
        {
            Index = index,
            Value = value,
            Error = error,
            Attempts = Math.Max(1, sent.Attempts),
            Elapsed = timeProvider.GetElapsedTime(started),
        };
        if (into is not null)
        {
            into[index] = result;
        }

        return result;
    }
}
