using System.Diagnostics;
using System.Runtime.CompilerServices;
using LocalBatch.Internal;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch;

/// <summary>
/// Sends many completions, chat completions or embeddings at once, keeping the server's slots full without
/// overrunning them, and returns one outcome per input.
/// </summary>
/// <remarks>
/// <para>
/// Completions and chat run on lanes, as many as the batch's bound (<see cref="LocalBatchOptions.MaxConcurrency"/>, or the
/// servers' <c>total_slots</c> when it is 0), awaited together; each request starts only when the client's admission point
/// gives it a server's slot, a gate shared by every batch on the client. Results come back in input order, exactly one per input;
/// one failed item never fails or cancels the others. The <c>Stream…</c> variants read their input lazily and
/// yield results as they finish, holding O(concurrency) items in memory however long the input is.
/// </para>
/// <para>Embeddings go as one call with an array input, split into chunks only when it is longer than
/// <see cref="LocalBatchOptions.MaxEmbeddingInputsPerRequest"/>.</para>
/// <para>Thread-safe; create one per server and reuse it.</para>
/// </remarks>
public sealed class LocalBatchProcessor : IDisposable
{
    private readonly bool _ownsClient;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="LocalBatchProcessor"/> class for the server at <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">The server's base address, such as <c>http://localhost:8080</c>.</param>
    /// <param name="apiKey">The API key, or <see langword="null"/>.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The endpoint or key is not valid.</exception>
    public LocalBatchProcessor(Uri endpoint, string? apiKey = null)
        : this(new LocalBatchOptions { Endpoint = endpoint, ApiKey = apiKey })
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalBatchProcessor"/> class with its own gateway client.</summary>
    /// <param name="options">Where the server is and how to talk to it.</param>
    /// <param name="logger">Where failures and retries are logged; none by default.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public LocalBatchProcessor(LocalBatchOptions options, ILogger<LocalBatchProcessor>? logger = null)
        : this(new LocalGatewayClient(options), logger)
    {
        _ownsClient = true;
    }

    /// <summary>Initializes a new instance of the <see cref="LocalBatchProcessor"/> class on a shared gateway client (the dependency-injection way).</summary>
    /// <param name="client">The gateway client.</param>
    /// <param name="logger">Where failures are logged.</param>
    [ActivatorUtilitiesConstructor]
    public LocalBatchProcessor(LocalGatewayClient client, ILogger<LocalBatchProcessor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Gets the gateway client the processor sends with.</summary>
    public LocalGatewayClient Client { get; }

    /// <summary>Completes every prompt with the same settings.</summary>
    /// <param name="prompts">The prompts.</param>
    /// <param name="options">The settings for every prompt; the server's defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress as items finish.</param>
    /// <param name="cancellationToken">Stops new requests and aborts the ones in flight.</param>
    /// <returns>One result per prompt, in input order.</returns>
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public Task<IReadOnlyList<BatchItemResult<CompletionResponse>>> ProcessBatchCompletionsAsync(
        IEnumerable<string> prompts,
        CompletionOptions? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var settings = options ?? new CompletionOptions();

        // Each request is made as it is sent, not all up front: a batch of thousands keeps its prompts, not as many requests.
        var operation = new BatchOperation<string, CompletionResponse>(
            (prompt, server, ct) => Client.SendCompletionAsync(settings.ToRequest(prompt), server, ct),
            static r => r.Usage);
        return ProcessBatchAsync(prompts, operation, "/v1/completions", static p => PromptPrefix.KeyOf(p), progress, cancellationToken);
    }

    /// <summary>Sends every completion request.</summary>
    /// <param name="requests">The requests, each with its own settings.</param>
    /// <param name="progress">Receives progress as items finish.</param>
    /// <param name="cancellationToken">Stops new requests and aborts the ones in flight.</param>
    /// <returns>One result per request, in input order.</returns>
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public Task<IReadOnlyList<BatchItemResult<CompletionResponse>>> ProcessBatchCompletionsAsync(
        IEnumerable<CompletionRequest> requests,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        ProcessBatchAsync(requests, CompletionOperation, "/v1/completions", static r => PromptPrefix.KeyOf(r.Prompt), progress, cancellationToken);

    /// <summary>Sends every chat completion request.</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="progress">Receives progress as items finish.</param>
    /// <param name="cancellationToken">Stops new requests and aborts the ones in flight.</param>
    /// <returns>One result per request, in input order.</returns>
    /// <exception cref="OperationCanceledException">The batch was cancelled.</exception>
    public Task<IReadOnlyList<BatchItemResult<ChatCompletionResponse>>> ProcessBatchChatCompletionsAsync(
        IEnumerable<ChatCompletionRequest> requests,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        ProcessBatchAsync(requests, ChatOperation, "/v1/chat/completions", static r => PromptPrefix.KeyOf(r.Messages), progress, cancellationToken);

    /// <summary>Sends completion requests read lazily from <paramref name="requests"/>, yielding each result as it finishes.</summary>
    /// <param name="requests">The requests; read only as slots free up.</param>
    /// <param name="progress">Receives progress as items finish.</param>
    /// <param name="cancellationToken">Stops the batch.</param>
    /// <returns>The results in the order they finish; <see cref="BatchItemResult{T}.Index"/> is the input position.</returns>
    public IAsyncEnumerable<BatchItemResult<CompletionResponse>> StreamBatchCompletionsAsync(
        IEnumerable<CompletionRequest> requests,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        StreamBatchCompletionsAsync(ToAsync(requests), progress, cancellationToken);

    /// <summary>Sends completion requests read lazily from <paramref name="requests"/>, yielding each result as it finishes.</summary>
    /// <param name="requests">The requests; read only as slots free up.</param>
    /// <param name="progress">Receives progress as items finish.</param>
    /// <param name="cancellationToken">Stops the batch.</param>
    /// <returns>The results in the order they finish; <see cref="BatchItemResult{T}.Index"/> is the input position.</returns>
    public IAsyncEnumerable<BatchItemResult<CompletionResponse>> StreamBatchCompletionsAsync(
        IAsyncEnumerable<CompletionRequest> requests,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        StreamResultsAsync(requests, CompletionOperation, "/v1/completions", progress, cancellationToken);

    /// <summary>Sends chat requests read lazily from <paramref name="requests"/>, yielding each result as it finishes.</summary>
    /// <param name="requests">The requests; read only as slots free up.</param>
    /// <param name="progress">Receives progress as items finish.</param>
    /// <param name="cancellationToken">Stops the batch.</param>
    /// <returns>The results in the order they finish; <see cref="BatchItemResult{T}.Index"/> is the input position.</returns>
    public IAsyncEnumerable<BatchItemResult<ChatCompletionResponse>> StreamBatchChatCompletionsAsync(
        IEnumerable<ChatCompletionRequest> requests,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        StreamBatchChatCompletionsAsync(ToAsync(requests), progress, cancellationToken);

    /// <summary>Sends chat requests read lazily from <paramref name="requests"/>, yielding each result as it finishes.</summary>
    /// <param name="requests">The requests; read only as slots free up.</param>
    /// <param name="progress">Receives progress as items finish.</param>
    /// <param name="cancellationToken">Stops the batch.</param>
    /// <returns>The results in the order they finish; <see cref="BatchItemResult{T}.Index"/> is the input position.</returns>
    public IAsyncEnumerable<BatchItemResult<ChatCompletionResponse>> StreamBatchChatCompletionsAsync(
        IAsyncEnumerable<ChatCompletionRequest> requests,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        StreamResultsAsync(requests, ChatOperation, "/v1/chat/completions", progress, cancellationToken);

    /// <summary>
    /// Embeds every text: one <c>/v1/embeddings</c> call with an array input, or several concurrent chunks of
    /// <see cref="LocalBatchOptions.MaxEmbeddingInputsPerRequest"/> when there are more, merged back in input order.
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <param name="options">The model and encoding.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>One vector per text; <c>Data[i].Index == i</c>; the usage is the sum over the chunks.</returns>
    /// <exception cref="LocalGatewayException">
    /// A chunk failed. When the server refuses a chunk in a way that may be one text's (a final 4xx other than 401, 403,
    /// 404, 405, 408 and 429, or llama.cpp's permanent 500s such as "too large to process"), the chunk is sent again in
    /// halves, the first then the second, down to single texts; the first single text that is still refused fails the
    /// call with the server's error, its index in <see cref="LocalGatewayException.InputIndex"/> and in the message. Any
    /// other failure (a refused key, no <c>--embeddings</c>, a fault that outlasted the retries) fails the call as it is.
    /// </exception>
    public async Task<EmbeddingResponse> ProcessBatchEmbeddingsAsync(
        IEnumerable<string> texts,
        EmbeddingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var inputs = texts as IReadOnlyList<string> ?? [.. texts];
        using var activity = LocalBatchMetrics.ActivitySource.StartActivity("localbatch.embeddings");
        activity?.SetTag("localbatch.items", inputs.Count);
        var concurrency = await GetConcurrencyAsync(cancellationToken).ConfigureAwait(false);
        var batcher = new EmbeddingBatcher(Client, options ?? new EmbeddingOptions(), _logger);
        return await batcher.EmbedAsync(inputs, Client.Options.MaxEmbeddingInputsPerRequest, concurrency, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the number of requests a batch keeps in flight (its lanes), summed over the servers: for each,
    /// <see cref="LocalBatchOptions.MaxConcurrency"/> when set, else its <c>total_slots</c> (read once per client), else the
    /// most its latency-based limit may reach (<see cref="LocalBatchOptions.MaxAdaptiveConcurrency"/>).
    /// </summary>
    /// <remarks>
    /// The latency-based limit applies to a server that has no <c>/props</c> or refuses it, and, until its <c>/props</c>
    /// answers, to one that cannot be reached at first: each request still waits for a slot of that limit at the client's
    /// admission point. A <see cref="RequestQueue"/> on the same client follows the same rule.
    /// </remarks>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The bound.</returns>
    public Task<int> GetConcurrencyAsync(CancellationToken cancellationToken = default) =>
        Client.Pool.GetConcurrencyAsync(cancellationToken);

    /// <summary>Disposes the gateway client, when this processor created it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            Client.Dispose();
        }
    }

    /// <summary>Runs raw requests (such as Batch API lines) lazily, yielding each request with its outcome as it finishes.</summary>
    internal async IAsyncEnumerable<(TRequest Request, BatchItemResult<TResult> Result)> StreamAsync<TRequest, TResult>(
        IAsyncEnumerable<TRequest> requests,
        BatchOperation<TRequest, TResult> operation,
        string endpoint,
        int? total,
        IProgress<BatchProgress>? progress,
        bool reportServers,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var activity = StartBatchActivity(endpoint, total);
        var concurrency = await GetConcurrencyAsync(cancellationToken).ConfigureAwait(false);
        var tracker = new BatchProgressTracker(total, progress, Client.TimeProvider, reportServers ? Client.Pool.Snapshot : null);
        var items = LaneEngine.StreamAsync(token => AsyncRunSource<TRequest>.OfItems(requests, token), concurrency, operation, tracker, _logger, Client.TimeProvider, cancellationToken);
        await foreach (var item in items.ConfigureAwait(false))
        {
            yield return item;
        }

        tracker.Report();
    }

    /// <summary>Runs raw requests in runs (see <c>AffinityPlan</c>), each run's one after another on a lane, yielding each with its outcome as it finishes.</summary>
    internal async IAsyncEnumerable<(TRequest Request, BatchItemResult<TResult> Result)> StreamRunsAsync<TRequest, TResult>(
        IAsyncEnumerable<IReadOnlyList<TRequest>> runs,
        BatchOperation<TRequest, TResult> operation,
        string endpoint,
        int total,
        IProgress<BatchProgress>? progress,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResult : class
    {
        using var activity = StartBatchActivity(endpoint, total);
        var lanes = await GetConcurrencyAsync(cancellationToken).ConfigureAwait(false);
        var tracker = new BatchProgressTracker(total, progress, Client.TimeProvider);
        var items = LaneEngine.StreamAsync(token => AsyncRunSource<TRequest>.OfRuns(runs, token), lanes, operation, tracker, _logger, Client.TimeProvider, cancellationToken);
        await foreach (var item in items.ConfigureAwait(false))
        {
            yield return item;
        }

        tracker.Report();
    }

    private BatchOperation<CompletionRequest, CompletionResponse> CompletionOperation =>
        new(Client.SendCompletionAsync, static r => r.Usage);

    private BatchOperation<ChatCompletionRequest, ChatCompletionResponse> ChatOperation =>
        new(Client.SendChatCompletionAsync, static r => r.Usage);

    private async Task<IReadOnlyList<BatchItemResult<TResult>>> ProcessBatchAsync<TRequest, TResult>(
        IEnumerable<TRequest> requests,
        BatchOperation<TRequest, TResult> operation,
        string endpoint,
        Func<TRequest, ulong> prefixKey,
        IProgress<BatchProgress>? progress,
        CancellationToken cancellationToken)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(requests);
        var items = requests as IReadOnlyList<TRequest> ?? [.. requests];
        using var activity = StartBatchActivity(endpoint, items.Count);
        var concurrency = await GetConcurrencyAsync(cancellationToken).ConfigureAwait(false);
        var tracker = new BatchProgressTracker(items.Count, progress, Client.TimeProvider, Client.Pool.Snapshot);
        var runs = Client.Options.UsePrefixAffinity ? AffinityPlan.Plan(items.Select(prefixKey).ToList(), concurrency) : null;
        activity?.SetTag("localbatch.prefix_runs", runs?.Length);
        var results = await LaneEngine.RunListAsync(items, concurrency, operation, tracker, _logger, Client.TimeProvider, cancellationToken, runs).ConfigureAwait(false);
        tracker.Report();
        activity?.SetTag("localbatch.failed", tracker.Snapshot().Failed);
        return results;
    }

    private async IAsyncEnumerable<BatchItemResult<TResult>> StreamResultsAsync<TRequest, TResult>(
        IAsyncEnumerable<TRequest> requests,
        BatchOperation<TRequest, TResult> operation,
        string endpoint,
        IProgress<BatchProgress>? progress,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResult : class
    {
        await foreach (var (_, result) in StreamAsync(requests, operation, endpoint, total: null, progress, reportServers: true, cancellationToken).ConfigureAwait(false))
        {
            yield return result;
        }
    }

    private static Activity? StartBatchActivity(string endpoint, int? total)
    {
        var activity = LocalBatchMetrics.ActivitySource.StartActivity("localbatch.batch");
        activity?.SetTag("localbatch.endpoint", endpoint);
        if (total is { } count)
        {
            activity?.SetTag("localbatch.items", count);
        }

        return activity;
    }

    private static async IAsyncEnumerable<T> ToAsync<T>(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            yield return item;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}
