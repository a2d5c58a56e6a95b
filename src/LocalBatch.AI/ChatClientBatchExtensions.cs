using LocalBatch;
using LocalBatch.AI.Internal;

namespace Microsoft.Extensions.AI;

/// <summary>
/// Batches over any <see cref="IChatClient"/> (llama.cpp through Microsoft.Extensions.AI.OpenAI, Ollama, OpenAI, Azure, …):
/// many conversations at once under a bound, one outcome per conversation, as <see cref="LocalBatchProcessor"/> does for
/// its own requests. For typed answers, see <see cref="ChatClientStructuredBatchExtensions"/>.
/// </summary>
/// <remarks>
/// <para>
/// At most <see cref="ChatBatchOptions.MaxConcurrency"/> conversations are in flight. One that fails (the client throws)
/// becomes that item's <see cref="BatchItemResult{T}.Error"/> and never fails or cancels the others; only the batch's
/// own cancellation ends it, with an <see cref="OperationCanceledException"/>. Progress is reported as conversations
/// finish, with the tokens of <see cref="ChatResponse.Usage"/>. Retries are the chat client's own, unseen here: each
/// result's <see cref="BatchItemResult{T}.Attempts"/> is 1.
/// </para>
/// <para>
/// Each conversation gets its own copy of the <see cref="ChatOptions"/>, so a client or middleware that changes the
/// options it is given cannot affect the others.
/// </para>
/// </remarks>
public static class ChatClientBatchExtensions
{
    /// <summary>Answers every conversation, at most <see cref="ChatBatchOptions.MaxConcurrency"/> at once.</summary>
    /// <param name="client">The chat client.</param>
    /// <param name="conversations">The conversations, each a list of messages.</param>
    /// <param name="chatOptions">What every request carries (model, temperature, …); the client's defaults when <see langword="null"/>.</param>
    /// <param name="batchOptions">How the batch runs; the defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress as conversations finish.</param>
    /// <param name="cancellationToken">Stops new requests and aborts the ones in flight.</param>
    /// <returns>One result per conversation, in input order; <see cref="BatchItemResult{T}.Index"/> is its position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> or <paramref name="conversations"/> is <see langword="null"/>.</exception>
    /// <exception cref="Options.OptionsValidationException"><paramref name="batchOptions"/> is not valid.</exception>
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public static Task<IReadOnlyList<BatchItemResult<ChatResponse>>> ProcessBatchAsync(
        this IChatClient client,
        IEnumerable<IEnumerable<ChatMessage>> conversations,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return BatchProcessing.ProcessBatchAsync(conversations, Send(client, chatOptions), ChatBatchSettings.ToProcessingOptions<ChatResponse>(batchOptions), progress, cancellationToken);
    }

    /// <summary>
    /// Answers conversations read lazily from <paramref name="conversations"/>, yielding each result as it finishes. Memory
    /// stays O(<see cref="ChatBatchOptions.MaxConcurrency"/>) however many conversations there are.
    /// </summary>
    /// <param name="client">The chat client.</param>
    /// <param name="conversations">The conversations; read only as slots free up.</param>
    /// <param name="chatOptions">What every request carries; the client's defaults when <see langword="null"/>.</param>
    /// <param name="batchOptions">How the batch runs; the defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress as conversations finish (its <see cref="BatchProgress.Total"/> is known at the end).</param>
    /// <param name="cancellationToken">Stops the batch.</param>
    /// <returns>The results in the order they finish; <see cref="BatchItemResult{T}.Index"/> is the input position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> or <paramref name="conversations"/> is <see langword="null"/>.</exception>
    /// <exception cref="Options.OptionsValidationException"><paramref name="batchOptions"/> is not valid.</exception>
    public static IAsyncEnumerable<BatchItemResult<ChatResponse>> StreamBatchAsync(
        this IChatClient client,
        IAsyncEnumerable<IEnumerable<ChatMessage>> conversations,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return BatchProcessing.StreamBatchAsync(conversations, Send(client, chatOptions), ChatBatchSettings.ToProcessingOptions<ChatResponse>(batchOptions), progress, cancellationToken);
    }

    /// <inheritdoc cref="StreamBatchAsync(IChatClient, IAsyncEnumerable{IEnumerable{ChatMessage}}, ChatOptions?, ChatBatchOptions?, IProgress{BatchProgress}?, CancellationToken)"/>
    public static IAsyncEnumerable<BatchItemResult<ChatResponse>> StreamBatchAsync(
        this IChatClient client,
        IEnumerable<IEnumerable<ChatMessage>> conversations,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return client.StreamBatchAsync(conversations.ToAsyncEnumerable(), chatOptions, batchOptions, progress, cancellationToken);
    }

    /// <summary>Answers one conversation with its own copy of the options.</summary>
    private static Func<IEnumerable<ChatMessage>, CancellationToken, Task<ChatResponse>> Send(IChatClient client, ChatOptions? chatOptions)
    {
        ArgumentNullException.ThrowIfNull(client);
        return (messages, cancellationToken) => client.GetResponseAsync(messages, chatOptions?.Clone(), cancellationToken);
    }
}
