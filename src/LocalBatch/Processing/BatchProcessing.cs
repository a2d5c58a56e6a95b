using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch;

/// <summary>
/// Runs an asynchronous operation of yours over many inputs the way <see cref="LocalBatchProcessor"/> runs its own
/// requests: at most <see cref="BatchProcessingOptions{TResult}.MaxConcurrency"/> at once, one outcome per input,
/// progress and cancellation. For adapters over other clients (an <c>IChatClient</c>, an SDK, a database) and for any
/// per-item work that should batch like LocalBatch's.
/// </summary>
/// <remarks>
/// <para>
/// An input whose operation throws gets that exception as its <see cref="BatchItemResult{T}.Error"/> (through
/// <see cref="BatchItemError.FromException"/>), and one whose answer <see cref="BatchProcessingOptions{TResult}.ErrorSelector"/>
/// calls a failure gets the selector's error; neither fails or cancels the others (an operation's own timeout is its
/// item's error too). Only the batch's own cancellation ends it, with an <see cref="OperationCanceledException"/>: no
/// input starts after that, and the token given to the operation aborts the ones in flight. Retries are the operation's
/// own: each result's <see cref="BatchItemResult{T}.Attempts"/> is 1.
/// </para>
/// <para>
/// Progress is reported as items finish and once more at the end, with the tokens read by
/// <see cref="BatchProcessingOptions{TResult}.UsageSelector"/>; its <see cref="BatchProgress.Servers"/> is empty, since
/// the operation's servers are not LocalBatch's to see.
/// </para>
/// </remarks>
public static class BatchProcessing
{
    /// <summary>Runs <paramref name="operation"/> on every input, at most <see cref="BatchProcessingOptions{TResult}.MaxConcurrency"/> at once.</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TResult">The operation's answer type.</typeparam>
    /// <param name="inputs">The inputs; read once, when the batch starts.</param>
    /// <param name="operation">Answers one input; the token is the batch's.</param>
    /// <param name="options">How the batch runs; the defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress as items finish (its <see cref="BatchProgress.Total"/> is the number of inputs).</param>
    /// <param name="cancellationToken">Stops new items and is passed to the ones in flight.</param>
    /// <returns>One result per input, in input order; <see cref="BatchItemResult{T}.Index"/> is its position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> or <paramref name="operation"/> is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException"><paramref name="options"/> is not valid (nothing is run).</exception>
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public static Task<IReadOnlyList<BatchItemResult<TResult>>> ProcessBatchAsync<TInput, TResult>(
        IEnumerable<TInput> inputs,
        Func<TInput, CancellationToken, Task<TResult>> operation,
        BatchProcessingOptions<TResult>? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(operation);
        var settings = BatchProcessingOptionsValidator<TResult>.ThrowIfInvalid(options);
        return RunAsync(inputs as IReadOnlyList<TInput> ?? [.. inputs], ToOperation(operation, settings), settings.MaxConcurrency, settings.TimeProvider, progress, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on inputs read lazily from <paramref name="inputs"/>, yielding each result as it
    /// finishes. Memory stays O(<see cref="BatchProcessingOptions{TResult}.MaxConcurrency"/>) however many inputs there are.
    /// </summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TResult">The operation's answer type.</typeparam>
    /// <param name="inputs">The inputs; read only as room frees up. An exception from reading them ends the stream with it, after the items in flight.</param>
    /// <param name="operation">Answers one input; the token is the batch's.</param>
    /// <param name="options">How the batch runs; the defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress as items finish (its <see cref="BatchProgress.Total"/> is known at the end).</param>
    /// <param name="cancellationToken">
    /// Stops the batch; so does the token given to <c>WithCancellation</c>, and so does leaving the <c>await foreach</c>
    /// early (the items in flight are cancelled and waited for).
    /// </param>
    /// <returns>The results in the order they finish; <see cref="BatchItemResult{T}.Index"/> is the input position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> or <paramref name="operation"/> is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException"><paramref name="options"/> is not valid (thrown by this call, before enumerating).</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The same pair as the processor's Stream…Async: a lazy sequence or an async one, the optional parameters alike in both.")]
    public static IAsyncEnumerable<BatchItemResult<TResult>> StreamBatchAsync<TInput, TResult>(
        IAsyncEnumerable<TInput> inputs,
        Func<TInput, CancellationToken, Task<TResult>> operation,
        BatchProcessingOptions<TResult>? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(operation);
        var settings = BatchProcessingOptionsValidator<TResult>.ThrowIfInvalid(options);
        return StreamAsync(inputs, ToOperation(operation, settings), settings.MaxConcurrency, settings.TimeProvider, progress, cancellationToken);
    }

    /// <inheritdoc cref="StreamBatchAsync{TInput, TResult}(IAsyncEnumerable{TInput}, Func{TInput, CancellationToken, Task{TResult}}, BatchProcessingOptions{TResult}?, IProgress{BatchProgress}?, CancellationToken)"/>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The same pair as the processor's Stream…Async: a lazy sequence or an async one, the optional parameters alike in both.")]
    public static IAsyncEnumerable<BatchItemResult<TResult>> StreamBatchAsync<TInput, TResult>(
        IEnumerable<TInput> inputs,
        Func<TInput, CancellationToken, Task<TResult>> operation,
        BatchProcessingOptions<TResult>? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return StreamBatchAsync(inputs.ToAsyncEnumerable(), operation, options, progress, cancellationToken);
    }

    // The options are read here, once: a batch keeps what they said when it started.
    private static BatchOperation<TInput, TResult> ToOperation<TInput, TResult>(Func<TInput, CancellationToken, Task<TResult>> operation, BatchProcessingOptions<TResult> options)
        where TResult : class =>
        BatchOperation<TInput, TResult>.OfCall(operation, options.UsageSelector ?? (static _ => null), options.ErrorSelector);

    private static async Task<IReadOnlyList<BatchItemResult<TResult>>> RunAsync<TInput, TResult>(
        IReadOnlyList<TInput> items,
        BatchOperation<TInput, TResult> operation,
        int concurrency,
        TimeProvider timeProvider,
        IProgress<BatchProgress>? progress,
        CancellationToken cancellationToken)
        where TResult : class
    {
        var tracker = new BatchProgressTracker(items.Count, progress, timeProvider);
        var results = await LaneEngine.RunListAsync(items, concurrency, operation, tracker, NullLogger.Instance, timeProvider, cancellationToken).ConfigureAwait(false);
        tracker.Report();
        return results;
    }

    private static async IAsyncEnumerable<BatchItemResult<TResult>> StreamAsync<TInput, TResult>(
        IAsyncEnumerable<TInput> inputs,
        BatchOperation<TInput, TResult> operation,
        int concurrency,
        TimeProvider timeProvider,
        IProgress<BatchProgress>? progress,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResult : class
    {
        var tracker = new BatchProgressTracker(total: null, progress, timeProvider);
        var outcomes = LaneEngine.StreamAsync(token => AsyncRunSource<TInput>.OfItems(inputs, token), concurrency, operation, tracker, NullLogger.Instance, timeProvider, cancellationToken);
        await foreach (var (_, result) in outcomes.ConfigureAwait(false))
        {
            yield return result;
        }

        tracker.Report();
    }
}
