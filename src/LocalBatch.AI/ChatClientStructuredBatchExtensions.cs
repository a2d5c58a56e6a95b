using System.Text.Json;
using LocalBatch;
using LocalBatch.AI.Internal;

namespace Microsoft.Extensions.AI;

/// <summary>
/// Batches over any <see cref="IChatClient"/> whose answers are read as a type of yours (structured output): each
/// conversation goes through <see cref="ChatClientStructuredOutputExtensions.GetResponseAsync{T}(IChatClient, IEnumerable{ChatMessage}, ChatOptions?, bool?, CancellationToken)"/>,
/// which asks for a JSON schema made from the type, under the bound and with the per-item outcomes of
/// <see cref="ChatClientBatchExtensions"/>.
/// </summary>
/// <remarks>
/// An answer that is not the type as JSON (a model that ignored the schema, a cut-off answer) is a failed
/// item: its <see cref="BatchItemResult{T}.Error"/> says why (kind <see cref="GatewayErrorKind.InvalidResponse"/>, type
/// <c>structured_output_error</c>), and its <see cref="BatchItemResult{T}.Value"/> still holds the response, whose
/// <see cref="ChatResponse.Text"/> shows what the model said. A successful item's <see cref="ChatResponse{T}.Result"/> is
/// already read.
/// </remarks>
public static class ChatClientStructuredBatchExtensions
{
    /// <summary>The <see cref="BatchItemError.Type"/> of an answer that could not be read as the requested type.</summary>
    public const string StructuredOutputErrorType = "structured_output_error";

    /// <summary>Answers every conversation as a <typeparamref name="T"/>, at most <see cref="ChatBatchOptions.MaxConcurrency"/> at once.</summary>
    /// <typeparam name="T">The type of the answers; its JSON schema is sent with every request.</typeparam>
    /// <param name="client">The chat client.</param>
    /// <param name="conversations">The conversations, each a list of messages.</param>
    /// <param name="serializerOptions">
    /// How <typeparamref name="T"/> is described and read, such as a source-generated context's options (no reflection, so
    /// trimmed and native AOT applications work). The overload without it uses <see cref="AIJsonUtilities.DefaultOptions"/>,
    /// as <c>GetResponseAsync&lt;T&gt;</c> does.
    /// </param>
    /// <param name="chatOptions">What every request carries; its response format is set to <typeparamref name="T"/>'s schema.</param>
    /// <param name="batchOptions">How the batch runs; the defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress as conversations finish.</param>
    /// <param name="cancellationToken">Stops new requests and aborts the ones in flight.</param>
    /// <returns>One result per conversation, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/>, <paramref name="conversations"/> or <paramref name="serializerOptions"/> is <see langword="null"/>.</exception>
    /// <exception cref="Options.OptionsValidationException"><paramref name="batchOptions"/> is not valid.</exception>
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public static Task<IReadOnlyList<BatchItemResult<ChatResponse<T>>>> ProcessBatchAsync<T>(
        this IChatClient client,
        IEnumerable<IEnumerable<ChatMessage>> conversations,
        JsonSerializerOptions serializerOptions,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        ArgumentNullException.ThrowIfNull(serializerOptions);
        return BatchProcessing.ProcessBatchAsync(conversations, Send<T>(client, serializerOptions, chatOptions), Settings<T>(batchOptions), progress, cancellationToken);
    }

    /// <inheritdoc cref="ProcessBatchAsync{T}(IChatClient, IEnumerable{IEnumerable{ChatMessage}}, JsonSerializerOptions, ChatOptions?, ChatBatchOptions?, IProgress{BatchProgress}?, CancellationToken)"/>
    public static Task<IReadOnlyList<BatchItemResult<ChatResponse<T>>>> ProcessBatchAsync<T>(
        this IChatClient client,
        IEnumerable<IEnumerable<ChatMessage>> conversations,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return BatchProcessing.ProcessBatchAsync(conversations, Send<T>(client, serializerOptions: null, chatOptions), Settings<T>(batchOptions), progress, cancellationToken);
    }

    /// <summary>
    /// Answers conversations read lazily as <typeparamref name="T"/>, yielding each result as it finishes; memory stays
    /// O(<see cref="ChatBatchOptions.MaxConcurrency"/>) however many conversations there are.
    /// </summary>
    /// <typeparam name="T">The type of the answers; its JSON schema is sent with every request.</typeparam>
    /// <param name="client">The chat client.</param>
    /// <param name="conversations">The conversations; read only as slots free up.</param>
    /// <param name="serializerOptions">
    /// How <typeparamref name="T"/> is described and read, such as a source-generated context's options (no reflection).
    /// The overloads without it use <see cref="AIJsonUtilities.DefaultOptions"/>, as <c>GetResponseAsync&lt;T&gt;</c> does.
    /// </param>
    /// <param name="chatOptions">What every request carries; its response format is set to <typeparamref name="T"/>'s schema.</param>
    /// <param name="batchOptions">How the batch runs; the defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress as conversations finish (its <see cref="BatchProgress.Total"/> is known at the end).</param>
    /// <param name="cancellationToken">Stops the batch.</param>
    /// <returns>The results in the order they finish; <see cref="BatchItemResult{T}.Index"/> is the input position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/>, <paramref name="conversations"/> or <paramref name="serializerOptions"/> is <see langword="null"/>.</exception>
    /// <exception cref="Options.OptionsValidationException"><paramref name="batchOptions"/> is not valid.</exception>
    public static IAsyncEnumerable<BatchItemResult<ChatResponse<T>>> StreamBatchAsync<T>(
        this IChatClient client,
        IAsyncEnumerable<IEnumerable<ChatMessage>> conversations,
        JsonSerializerOptions serializerOptions,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        ArgumentNullException.ThrowIfNull(serializerOptions);
        return BatchProcessing.StreamBatchAsync(conversations, Send<T>(client, serializerOptions, chatOptions), Settings<T>(batchOptions), progress, cancellationToken);
    }

    /// <inheritdoc cref="StreamBatchAsync{T}(IChatClient, IAsyncEnumerable{IEnumerable{ChatMessage}}, JsonSerializerOptions, ChatOptions?, ChatBatchOptions?, IProgress{BatchProgress}?, CancellationToken)"/>
    public static IAsyncEnumerable<BatchItemResult<ChatResponse<T>>> StreamBatchAsync<T>(
        this IChatClient client,
        IAsyncEnumerable<IEnumerable<ChatMessage>> conversations,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return BatchProcessing.StreamBatchAsync(conversations, Send<T>(client, serializerOptions: null, chatOptions), Settings<T>(batchOptions), progress, cancellationToken);
    }

    /// <inheritdoc cref="StreamBatchAsync{T}(IChatClient, IAsyncEnumerable{IEnumerable{ChatMessage}}, JsonSerializerOptions, ChatOptions?, ChatBatchOptions?, IProgress{BatchProgress}?, CancellationToken)"/>
    public static IAsyncEnumerable<BatchItemResult<ChatResponse<T>>> StreamBatchAsync<T>(
        this IChatClient client,
        IEnumerable<IEnumerable<ChatMessage>> conversations,
        JsonSerializerOptions serializerOptions,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return client.StreamBatchAsync<T>(conversations.ToAsyncEnumerable(), serializerOptions, chatOptions, batchOptions, progress, cancellationToken);
    }

    /// <inheritdoc cref="StreamBatchAsync{T}(IChatClient, IAsyncEnumerable{IEnumerable{ChatMessage}}, JsonSerializerOptions, ChatOptions?, ChatBatchOptions?, IProgress{BatchProgress}?, CancellationToken)"/>
    public static IAsyncEnumerable<BatchItemResult<ChatResponse<T>>> StreamBatchAsync<T>(
        this IChatClient client,
        IEnumerable<IEnumerable<ChatMessage>> conversations,
        ChatOptions? chatOptions = null,
        ChatBatchOptions? batchOptions = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        return client.StreamBatchAsync<T>(conversations.ToAsyncEnumerable(), chatOptions, batchOptions, progress, cancellationToken);
    }

    /// <summary>Answers one conversation as a <typeparamref name="T"/>, with its own copy of the options.</summary>
    private static Func<IEnumerable<ChatMessage>, CancellationToken, Task<ChatResponse<T>>> Send<T>(IChatClient client, JsonSerializerOptions? serializerOptions, ChatOptions? chatOptions)
    {
        ArgumentNullException.ThrowIfNull(client);
        return serializerOptions is null
            ? (messages, cancellationToken) => client.GetResponseAsync<T>(messages, chatOptions?.Clone(), cancellationToken: cancellationToken)
            : (messages, cancellationToken) => client.GetResponseAsync<T>(messages, serializerOptions, chatOptions?.Clone(), cancellationToken: cancellationToken);
    }

    /// <summary>The batch's bound, and an answer that does not read as <typeparamref name="T"/> as the item's error.</summary>
    private static BatchProcessingOptions<ChatResponse<T>> Settings<T>(ChatBatchOptions? batchOptions) =>
        ChatBatchSettings.ToProcessingOptions<ChatResponse<T>>(batchOptions, static response => ReadFailure(response));

    /// <summary>Reads the answer once; a failure to read it is the item's error.</summary>
    private static BatchItemError? ReadFailure<T>(ChatResponse<T> response)
    {
        try
        {
            _ = response.Result;
            return null;
        }
        catch (Exception ex)
        {
            return new BatchItemError(GatewayErrorKind.InvalidResponse, null, StructuredOutputErrorType, $"The answer is not a {typeof(T).Name} as JSON: {ex.Message}")
            {
                Exception = ex,
            };
        }
    }
}
