using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text.Json;
using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;

namespace LocalBatch;

/// <summary>
/// A typed <see cref="HttpClient"/> for the OpenAI-compatible endpoints of a llama.cpp server:
/// completions, chat completions, embeddings, models, health and props.
/// </summary>
/// <remarks>
/// <para>
/// Every call runs in one resilience pipeline: transient faults (408, 429, 500, 502, 503, 504, refused or reset
/// connections, truncated answers, attempt timeouts) are retried with exponential back-off, jitter and
/// <c>Retry-After</c>; request errors (4xx and llama.cpp's permanent 500s) are not. A failure surfaces as
/// <see cref="LocalGatewayException"/>; cancellation as <see cref="OperationCanceledException"/>.
/// </para>
/// <para>
/// Build it with dependency injection (<c>services.AddLocalBatch(...)</c>) or directly with
/// <see cref="LocalGatewayClient(LocalBatchOptions, ILogger{LocalGatewayClient}?)"/>. It is thread-safe: share one instance.
/// </para>
/// </remarks>
public sealed partial class LocalGatewayClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttpClient;
    private readonly GatewayTransport _transport;
    private readonly ResiliencePipeline _retry;
    private readonly AttemptTimeouts? _attemptTimeouts;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="LocalGatewayClient"/> class that talks to <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">The server's base address, such as <c>http://localhost:8080</c>.</param>
    /// <param name="apiKey">The API key, or <see langword="null"/> for a server without one.</param>
    /// <exception cref="OptionsValidationException">The endpoint or key is not valid.</exception>
    public LocalGatewayClient(Uri endpoint, string? apiKey = null)
        : this(new LocalBatchOptions { Endpoint = endpoint, ApiKey = apiKey })
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalGatewayClient"/> class from options, with its own connection pool.</summary>
    /// <param name="options">Where the server is and how to talk to it.</param>
    /// <param name="logger">Where retries are logged; none by default.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public LocalGatewayClient(LocalBatchOptions options, ILogger<LocalGatewayClient>? logger = null)
        : this(GatewayHttpClientFactory.Create(LocalBatchOptionsValidator.ThrowIfInvalid(options)), options, logger, meterFactory: null, ownsHttpClient: true)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalGatewayClient"/> class with its own connection pool and a given clock (tests).</summary>
    internal LocalGatewayClient(LocalBatchOptions options, TimeProvider timeProvider, ILogger? logger = null)
        : this(GatewayHttpClientFactory.Create(LocalBatchOptionsValidator.ThrowIfInvalid(options)), options, logger, meterFactory: null, ownsHttpClient: true, timeProvider)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalGatewayClient"/> class on an <see cref="HttpClient"/> from <c>IHttpClientFactory</c>.</summary>
    /// <param name="httpClient">The client to send with; its <see cref="HttpClient.BaseAddress"/> is set from the options when empty.</param>
    /// <param name="options">The options.</param>
    /// <param name="logger">Where retries are logged.</param>
    /// <param name="meterFactory">Where the <c>LocalBatch</c> meter comes from.</param>
    /// <param name="timeProvider">The clock for delays and timeouts; <see cref="TimeProvider.System"/> when none is registered.</param>
    /// <exception cref="OptionsValidationException">The options are not valid.</exception>
    [ActivatorUtilitiesConstructor]
    public LocalGatewayClient(HttpClient httpClient, IOptions<LocalBatchOptions> options, ILogger<LocalGatewayClient>? logger = null, IMeterFactory? meterFactory = null, TimeProvider? timeProvider = null)
        : this(httpClient, LocalBatchOptionsValidator.ThrowIfInvalid(options?.Value!), logger, meterFactory, ownsHttpClient: false, timeProvider)
    {
    }

    private LocalGatewayClient(HttpClient httpClient, LocalBatchOptions options, ILogger? logger, IMeterFactory? meterFactory, bool ownsHttpClient, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _http = httpClient;
        _ownsHttpClient = ownsHttpClient;
        _http.BaseAddress ??= GatewayHttpClientFactory.NormalizeBaseAddress(options.Endpoint);
        Options = options;
        TimeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Metrics = meterFactory is null ? LocalBatchMetrics.Shared : new LocalBatchMetrics(meterFactory);
        _retry = GatewayResiliencePipeline.CreateRetry(options, TimeProvider, _logger, Metrics);
        _attemptTimeouts = options.AttemptTimeout == Timeout.InfiniteTimeSpan ? null : new AttemptTimeouts(options.AttemptTimeout, TimeProvider);
        _transport = new GatewayTransport(_http, options.ApiKey is null ? null : new AuthenticationHeaderValue("Bearer", options.ApiKey), TimeProvider);
        Pool = new EndpointPool(options, TimeProvider, _logger, Metrics, new ServerProbe(_transport, TimeProvider));
    }

    /// <summary>Gets the server's base address (the first server's, when there are several).</summary>
    public Uri Endpoint => Pool.Endpoints[0].BaseAddress;

    /// <summary>Gets the base addresses of the servers requests are spread over, in the order of the options.</summary>
    public IReadOnlyList<Uri> Endpoints => [.. Pool.Endpoints.Select(static endpoint => endpoint.BaseAddress)];

    /// <summary>Gets the model name this client puts in requests that name none (<see cref="LocalBatchOptions.DefaultModel"/>).</summary>
    /// <value>The model name, or <see langword="null"/> when requests without one leave the field out.</value>
    public string? DefaultModel => Options.DefaultModel;

    /// <summary>Gets the options this client was built with.</summary>
    internal LocalBatchOptions Options { get; }

    internal LocalBatchMetrics Metrics { get; }

    /// <summary>Gets the clock this client waits and measures with.</summary>
    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger => _logger;

    /// <summary>
    /// Gets the servers and their slots: every processor, queue and batch on this client shares them, so that together
    /// they never send a server more than it takes at once.
    /// </summary>
    internal EndpointPool Pool { get; }

    /// <summary>Generates a continuation of a prompt (<c>POST /v1/completions</c>).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the request, retries included.</param>
    /// <returns>The server's answer.</returns>
    /// <exception cref="LocalGatewayException">The server refused the request, or failed after every retry.</exception>
    public async Task<CompletionResponse> CreateCompletionAsync(CompletionRequest request, CancellationToken cancellationToken = default) =>
        (await SendCompletionAsync(request, preferred: null, cancellationToken).ConfigureAwait(false)).GetValueOrThrow();

    /// <summary>Sends a completion and returns what happened; <paramref name="preferred"/> takes the request when it has room.</summary>
    internal Task<Sent<CompletionResponse>> SendCompletionAsync(CompletionRequest request, ServerEndpoint? preferred, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Model is null && Options.DefaultModel is not null)
        {
            request = request with { Model = Options.DefaultModel };
        }

        return PostAsync("/v1/completions", request, request.Model, LocalBatchJsonContext.Default.CompletionRequest, LocalBatchJsonContext.Default.CompletionResponse, static r => r.Usage, static r => r.Model, preferred, cancellationToken);
    }

    /// <summary>Answers a conversation (<c>POST /v1/chat/completions</c>).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the request, retries included.</param>
    /// <returns>The server's answer.</returns>
    /// <exception cref="LocalGatewayException">The server refused the request, or failed after every retry.</exception>
    public async Task<ChatCompletionResponse> CreateChatCompletionAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default) =>
        (await SendChatCompletionAsync(request, preferred: null, cancellationToken).ConfigureAwait(false)).GetValueOrThrow();

    /// <summary>Sends a chat completion and returns what happened; <paramref name="preferred"/> takes the request when it has room.</summary>
    internal Task<Sent<ChatCompletionResponse>> SendChatCompletionAsync(ChatCompletionRequest request, ServerEndpoint? preferred, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Model is null && Options.DefaultModel is not null)
        {
            request = request with { Model = Options.DefaultModel };
        }

        return PostAsync("/v1/chat/completions", request, request.Model, LocalBatchJsonContext.Default.ChatCompletionRequest, LocalBatchJsonContext.Default.ChatCompletionResponse, static r => r.Usage, static r => r.Model, preferred, cancellationToken);
    }

    /// <summary>Embeds one or many texts in one call (<c>POST /v1/embeddings</c>); the server needs <c>--embeddings</c>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the request, retries included.</param>
    /// <returns>One vector per input.</returns>
    /// <exception cref="LocalGatewayException">The server refused the request, or failed after every retry.</exception>
    public async Task<EmbeddingResponse> CreateEmbeddingsAsync(EmbeddingRequest request, CancellationToken cancellationToken = default) =>
        (await SendEmbeddingsAsync(request, preferred: null, cancellationToken).ConfigureAwait(false)).GetValueOrThrow();

    /// <summary>Sends an embeddings request and returns what happened.</summary>
    internal Task<Sent<EmbeddingResponse>> SendEmbeddingsAsync(EmbeddingRequest request, ServerEndpoint? preferred, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Model is null && Options.DefaultModel is not null)
        {
            request = request with { Model = Options.DefaultModel };
        }

        return PostAsync("/v1/embeddings", request, request.Model, LocalBatchJsonContext.Default.EmbeddingRequest, LocalBatchJsonContext.Default.EmbeddingResponse, static r => r.Usage, static r => r.Model, preferred, cancellationToken);
    }

    /// <summary>Lists the loaded models (<c>GET /v1/models</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The models.</returns>
    /// <exception cref="LocalGatewayException">The request failed after every retry.</exception>
    public async Task<ModelList> ListModelsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "/v1/models", content: null, ResponseReaders.Json(LocalBatchJsonContext.Default.ModelList), preferred: null, cancellationToken).ConfigureAwait(false)).GetValueOrThrow();

    /// <summary>Reads the server's <c>/props</c>, which tell its number of parallel slots.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The props, or <see langword="null"/> when the server (or a gateway in front of it) has no such route.</returns>
    /// <exception cref="LocalGatewayException">The request failed after every retry.</exception>
    public Task<GatewayProps?> GetPropsAsync(CancellationToken cancellationToken = default) =>
        ReadPropsAsync(Pool.FirstInRotation(), cancellationToken);

    /// <summary>Asks <c>/health</c> once, without retrying: ready (200), or loading (503).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The status of the first server that answers (those in the rotation asked first, when there are several).</returns>
    /// <exception cref="LocalGatewayException">No server answered at all.</exception>
    public async Task<GatewayHealth> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        LocalGatewayException? unreachable = null;
        foreach (var server in Pool.InRotationFirst())
        {
            try
            {
                return await _transport.GetHealthAsync(server, cancellationToken).ConfigureAwait(false);
            }
            catch (LocalGatewayException ex)
            {
                unreachable ??= ex;
            }
        }

        throw unreachable!;
    }

    /// <summary>
    /// Sends any JSON body to any path (such as a Batch API line's <c>url</c> and <c>body</c>), with the same
    /// retries, and returns the final answer whatever its status.
    /// </summary>
    /// <param name="path">The path, such as <c>/v1/chat/completions</c>.</param>
    /// <param name="body">The JSON body, sent as it is.</param>
    /// <param name="cancellationToken">Cancels the request, retries included.</param>
    /// <returns>The final answer: a 2xx, a request error, or the last transient error once retries ran out.</returns>
    /// <exception cref="LocalGatewayException">No usable answer: the server was unreachable, timed out, or sent a truncated body, after every retry.</exception>
    public async Task<GatewayResponse> SendAsync(string path, JsonElement body, CancellationToken cancellationToken = default) =>
        (await SendRawAsync(path, body, preferred: null, cancellationToken).ConfigureAwait(false)).GetValueOrThrow();

    /// <summary>
    /// Sends a raw body and returns what happened: an answer for any status the server gave (an error status as its
    /// error body), a failure only when there was no usable answer.
    /// </summary>
    internal async Task<Sent<GatewayResponse>> SendRawAsync(string path, JsonElement body, ServerEndpoint? preferred, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, LocalBatchJsonContext.Default.JsonElement);
        var observation = RequestObservation.Start(Metrics, TimeProvider, path, RawBody.StringOf(body, "model"));
        Sent<GatewayResponse> sent;
        try
        {
            sent = await SendAsync(HttpMethod.Post, path, bytes, ResponseReaders.RawAsync, preferred, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            observation.Failed(ErrorTypeOf(ex), server: null);
            throw;
        }

        switch (sent.Exception)
        {
            case null:
                observation.Succeeded(Metrics.GenAiEnabled ? RawBody.UsageOf(sent.Value!.Body) : null, RawBody.StringOf(sent.Value!.Body, "model"), sent.Server);
                return sent;
            case LocalGatewayException { StatusCode: { } status, Kind: not GatewayErrorKind.InvalidResponse } refused:
                // An answer all the same: the line's answer is the server's error body.
                observation.Failed(ErrorTypeOf(refused), sent.Server);
                return sent with { Value = new GatewayResponse(status, ErrorBodyAsJson(refused), refused.RequestId), Error = null };
            case var failure:
                observation.Failed(ErrorTypeOf(failure), sent.Server);
                return sent;
        }
    }

    /// <summary>Disposes the connection pool, when this client created it, and stops probing servers that left the rotation.</summary>
    public void Dispose()
    {
        Pool.Dispose();
        if (_ownsHttpClient)
        {
            _http.Dispose();
        }
    }

    /// <summary>One server's <c>/props</c>, with retries; <see langword="null"/> when it has no such route.</summary>
    private async Task<GatewayProps?> ReadPropsAsync(ServerEndpoint server, CancellationToken cancellationToken)
    {
        var sent = await SendAsync(HttpMethod.Get, "/props", content: null, ResponseReaders.Json(LocalBatchJsonContext.Default.GatewayProps), preferred: null, cancellationToken, server).ConfigureAwait(false);
        return sent.Exception is LocalGatewayException { StatusCode: 404 or 405 or 501 } ? null : sent.GetValueOrThrow();
    }
}
