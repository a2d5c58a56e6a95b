using System.Runtime.CompilerServices;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch.AI.Internal;

/// <summary>
/// Runs conversations through a chat client on the processor's own machinery: the same bounded fan-out (in input order,
/// or streamed as they finish), per-item outcomes, progress and cancellation. Only the call for one conversation differs.
/// </summary>
internal sealed class ChatBatchRunner<TResponse>
    where TResponse : ChatResponse
{
    private readonly BatchOperation<IEnumerable<ChatMessage>, TResponse> _operation;
    private readonly int _concurrency;

    /// <param name="send">Answers one conversation.</param>
    /// <param name="failureOf">Tells whether an answer is a failure after all (a typed answer that does not parse).</param>
    /// <param name="batchOptions">The batch's bound; the defaults when <see langword="null"/>.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The batch options are not valid.</exception>
    public ChatBatchRunner(
        Func<IEnumerable<ChatMessage>, CancellationToken, Task<TResponse>> send,
        Func<TResponse, BatchItemError?>? failureOf,
        ChatBatchOptions? batchOptions)
    {
        _concurrency = ChatBatchOptionsValidator.ThrowIfInvalid(batchOptions).MaxConcurrency;
        _operation = BatchOperation<IEnumerable<ChatMessage>, TResponse>.OfCall(send, static response => ToUsage(response.Usage), failureOf);
    }

    /// <summary>Answers every conversation; one outcome each, in input order.</summary>
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public async Task<IReadOnlyList<BatchItemResult<TResponse>>> RunAsync(
        IEnumerable<IEnumerable<ChatMessage>> conversations,
        IProgress<BatchProgress>? progress,
        CancellationToken cancellationToken)
    {
        var items = conversations as IReadOnlyList<IEnumerable<ChatMessage>> ?? [.. conversations];
        var tracker = new BatchProgressTracker(items.Count, progress, TimeProvider.System);

        // A chat client tells nothing of its server's slots: the batch's own bound is the only one.
        var results = await LaneEngine.RunListAsync(items, _concurrency, _operation, tracker, NullLogger.Instance, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        tracker.Report();
        return results;
    }

    /// <summary>Answers conversations read lazily, yielding each outcome as it finishes; O(concurrency) in memory.</summary>
    public async IAsyncEnumerable<BatchItemResult<TResponse>> StreamAsync(
        IAsyncEnumerable<IEnumerable<ChatMessage>> conversations,
        IProgress<BatchProgress>? progress,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tracker = new BatchProgressTracker(total: null, progress, TimeProvider.System);
        var results = LaneEngine.StreamAsync(token => AsyncRunSource<IEnumerable<ChatMessage>>.OfItems(conversations, token), _concurrency, _operation, tracker, NullLogger.Instance, TimeProvider.System, cancellationToken);
        await foreach (var (_, result) in results.ConfigureAwait(false))
        {
            yield return result;
        }

        tracker.Report();
    }

    /// <summary>The token counts the progress adds up, from Microsoft.Extensions.AI's usage.</summary>
    internal static Usage? ToUsage(UsageDetails? usage) => usage is null ? null : new Usage
    {
        PromptTokens = (int)Math.Min(usage.InputTokenCount ?? 0, int.MaxValue),
        CompletionTokens = (int)Math.Min(usage.OutputTokenCount ?? 0, int.MaxValue),
        TotalTokens = (int)Math.Min(usage.TotalTokenCount ?? 0, int.MaxValue),
    };
}
