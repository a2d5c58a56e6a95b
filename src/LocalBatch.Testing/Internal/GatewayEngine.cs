using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Testing.Internal;

/// <summary>
/// Answers every HTTP request of the simulated gateway. It outlives the Kestrel servers that call it, so
/// counters, slots, faults and the pause survive <see cref="SimulatedGateway.StopListeningAsync"/>.
/// </summary>
/// <remarks>
/// Order of checks, as in llama-server: loading (503, every route), API key (401, before routing), routing
/// (404), then for generation routes: body, fault, route checks (501), body errors (500), validation (400/500),
/// slot, latency, pause, answer.
/// </remarks>
internal sealed partial class GatewayEngine
{
    private static readonly TimeSpan s_defaultSlowDelay = TimeSpan.FromSeconds(1);

    private readonly SimulatedGatewayOptions _options;
    private readonly SimulatedGatewayCounters _counters;
    private readonly FaultSource _faults;
    private readonly PauseGate _pause = new();
    private readonly SlotScheduler _slots;
    private readonly TimeProvider _timeProvider;
    private volatile bool _loading;

    public GatewayEngine(SimulatedGatewayOptions options, SimulatedGatewayCounters counters, TimeProvider timeProvider)
    {
        _options = options;
        _counters = counters;
        _timeProvider = timeProvider;
        SlotCount = options.Slots;
        _slots = new SlotScheduler(SlotCount);
        _faults = new FaultSource(options.FaultSeed);
    }

    public int SlotCount { get; }

    public bool Loading
    {
        get => _loading;
        set => _loading = value;
    }

    public void EnqueueFault(SimulatedFault fault) => _faults.Enqueue(fault);

    public void Pause() => _pause.Pause();

    public void Resume() => _pause.Resume();

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.HasValue ? context.Request.Path.Value! : "/";
        if (path is "/slots" or "/metrics" && HttpMethods.IsGet(context.Request.Method))
        {
            // A look at the load (a client deciding whether to yield): counted on its path only, never a fault, never
            // a request of TotalRequests, so that a client's looks change nothing a test counts or scripts.
            _counters.OnLoadLook(path);
            await AnswerLoadLookAsync(context, path).ConfigureAwait(false);
            return;
        }

        var sequence = _counters.OnRequestReceived(path);
        var cancellationToken = context.RequestAborted;
        try
        {
            await HandleCoreAsync(context, path, sequence, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or the server is stopping: nobody to answer.
        }
        catch (Exception exception) when (!context.Response.HasStarted && exception is not OperationCanceledException)
        {
            // Like llama-server, an unexpected failure while handling a request is a 500 with its message.
            await WriteAsync(context, ErrorResponses.ServerError(exception.Message), truncate: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Last, after every other counter of the request: what SimulatedGateway.WaitForIdleAsync waits for.
            _counters.OnRequestHandled();
        }
    }

    private async Task HandleCoreAsync(HttpContext context, string path, long sequence, CancellationToken cancellationToken)
    {
        if (_loading)
        {
            await WriteAsync(context, ErrorResponses.Loading(), truncate: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!IsAuthorized(context.Request, path))
        {
            await WriteAsync(context, ErrorResponses.InvalidApiKey(), truncate: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        var method = context.Request.Method;
        var route = GatewayRoutes.Resolve(method, path);
        var isGeneration = route.IsGeneration();
        if (isGeneration)
        {
            _counters.OnEnterInFlight();
        }

        try
        {
            var body = await ReadBodyAsync(context.Request, cancellationToken).ConfigureAwait(false);
            var json = RequestParser.ParseBody(body, out var bodyError);

            SimulatedFault? fault;
            try
            {
                fault = _faults.Next(new SimulatedRequest(method, path, bodyError is null ? json : null, sequence), isGeneration, _options);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var error = ErrorResponses.ServerError($"{nameof(SimulatedGatewayOptions.FaultSelector)} threw {exception.GetType().Name}: {exception.Message}");
                await WriteAsync(context, error, truncate: false, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (fault is not null)
            {
                _counters.OnFaultInjected(fault.Kind);
                if (await TryAnswerFaultAsync(context, fault, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            if (isGeneration)
            {
                await HandleGenerationAsync(context, route, json, bodyError, fault, cancellationToken).ConfigureAwait(false);
                return;
            }

            var response = route switch
            {
                GatewayRoute.Health => ResponseBuilder.Health(),
                GatewayRoute.Models => ResponseBuilder.Models(_options, SlotCount, _timeProvider.GetUtcNow().ToUnixTimeSeconds()),
                GatewayRoute.Props when _options.EnableProps => ResponseBuilder.Props(_options, SlotCount),
                _ => ErrorResponses.NotFound(),
            };

            if (fault?.Kind == SimulatedFaultKind.SlowResponse)
            {
                await Task.Delay(fault.Delay ?? s_defaultSlowDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            var truncate = fault?.Kind == SimulatedFaultKind.TruncatedBody;
            await WriteAsync(context, response, truncate, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccess && !truncate)
            {
                _counters.OnSucceeded(0, 0, 0);
            }
        }
        finally
        {
            if (isGeneration)
            {
                _counters.OnExitInFlight();
            }
        }
    }

    /// <summary>Answers the faults that replace the normal answer; returns false for those that alter it.</summary>
    private static async Task<bool> TryAnswerFaultAsync(HttpContext context, SimulatedFault fault, CancellationToken cancellationToken)
    {
        GatewayResponse response;
        switch (fault.Kind)
        {
            case SimulatedFaultKind.ConnectionReset:
                context.Abort();
                return true;
            case SimulatedFaultKind.ServiceUnavailable:
                response = ErrorResponses.Loading();
                break;
            case SimulatedFaultKind.TooManyRequests:
                var seconds = (long)Math.Ceiling(Math.Max(0, (fault.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
                response = ErrorResponses.TooManyRequests(seconds);
                break;
            case SimulatedFaultKind.InternalServerError:
                response = ErrorResponses.InternalServerError();
                break;
            case SimulatedFaultKind.BadRequest:
                response = ErrorResponses.InvalidRequest(fault.Message ?? "Invalid request");
                break;
            default:
                return false;
        }

        await WriteAsync(context, response, truncate: false, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task HandleGenerationAsync(
        HttpContext context, GatewayRoute route, JsonNode? json, GatewayResponse? bodyError, SimulatedFault? fault, CancellationToken cancellationToken)
    {
        if (route == GatewayRoute.Embeddings && !_options.EnableEmbeddings)
        {
            await WriteAsync(context, ErrorResponses.NotSupported(ErrorResponses.EmbeddingsNotSupported), truncate: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        GatewayResponse? error = bodyError;
        GenerationJob? generation = null;
        EmbeddingJob? embedding = null;
        if (error is null)
        {
            switch (route)
            {
                case GatewayRoute.Completions:
                    generation = RequestParser.ParseCompletion(json!, _options, out error);
                    break;
                case GatewayRoute.ChatCompletions:
                    generation = RequestParser.ParseChat(json!, _options, out error);
                    break;
                case GatewayRoute.Responses:
                    generation = RequestParser.ParseResponse(json!, _options, out error);
                    break;
                case GatewayRoute.Messages:
                    generation = RequestParser.ParseMessage(json!, _options, out error);
                    break;
                default:
                    embedding = RequestParser.ParseEmbeddings(json!, _options, out error);
                    break;
            }
        }

        if (error is not null)
        {
            await WriteAsync(context, error, truncate: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        var claim = generation is null ? SlotClaim.Embedding(_options) : SlotClaim.Generation(generation, _options);
        var grant = await _slots.AcquireAsync(claim, cancellationToken).ConfigureAwait(false);
        _counters.OnSlotTaken(grant.Slot);
        try
        {
            var truncate = fault?.Kind == SimulatedFaultKind.TruncatedBody;
            var created = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
            var result = generation is null ? null : ResponseBuilder.Generate(generation, _options, created, grant.CachedTokens);
            var streamTokens = generation is { Stream: true } && !truncate;

            // The slot's simulated work; streamed tokens take their share while they are written.
            var work = result is null
                ? _options.Latency + (_options.EmbeddingLatencyPerInput * embedding!.Inputs.Count)
                : _options.Latency + (_options.LatencyPerPromptToken * (result.PromptTokens - result.CachedTokens))
                    + (_options.LatencyPerToken * result.CompletionTokens);
            _counters.OnSlotWork(grant.Slot, work);
            var hold = work;
            if (streamTokens)
            {
                hold -= _options.LatencyPerToken * result!.CompletionTokens;
            }

            if (fault?.Kind == SimulatedFaultKind.SlowResponse)
            {
                hold += fault.Delay ?? s_defaultSlowDelay;
            }

            var shared = result is not null && !streamTokens && _options.LatencyPerTokenPerBusySlot > TimeSpan.Zero;
            if (shared)
            {
                hold -= _options.LatencyPerToken * result!.CompletionTokens;
            }

            if (hold > TimeSpan.Zero)
            {
                await Task.Delay(hold, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            if (shared)
            {
                _counters.OnSlotWork(grant.Slot, await SharedDecode.DecodeAsync(result!.CompletionTokens, _options, _slots, _timeProvider, cancellationToken).ConfigureAwait(false));
            }

            await _pause.WaitAsync(cancellationToken).ConfigureAwait(false);

            if (result is null)
            {
                var response = ResponseBuilder.Embeddings(embedding!, _options);
                await WriteAsync(context, response, truncate, cancellationToken).ConfigureAwait(false);
                if (!truncate)
                {
                    _counters.OnSucceeded(embedding!.PromptTokens, 0, 0);
                }

                return;
            }

            if (streamTokens)
            {
                await StreamAsync(context, result, generation!.IsChat, cancellationToken).ConfigureAwait(false);
            }
            else if (generation!.Stream)
            {
                // A truncated stream: half of the events, with no [DONE].
                var frames = ResponseBuilder.StreamFrames(result, generation.IsChat).SelectMany(static f => f.Frame).ToArray();
                var response = new GatewayResponse(200, frames, GatewayResponse.EventStreamContentType);
                await WriteAsync(context, response, truncate, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var response = generation.Route switch
                {
                    GatewayRoute.ChatCompletions => ResponseBuilder.ChatCompletion(result),
                    GatewayRoute.Responses => ResponseObjectBuilder.Response(result),
                    GatewayRoute.Messages => ResponseObjectBuilder.Message(result),
                    _ => ResponseBuilder.Completion(result),
                };
                await WriteAsync(context, response, truncate, cancellationToken).ConfigureAwait(false);
            }

            if (!truncate)
            {
                _counters.OnSucceeded(result.PromptTokens, result.CompletionTokens, result.CachedTokens);
            }
        }
        finally
        {
            _counters.OnSlotReleased();
            _slots.Release(grant.Slot);
        }
    }

    private async Task StreamAsync(HttpContext context, GenerationResult result, bool isChat, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = GatewayResponse.EventStreamContentType;
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (frame, isToken) in ResponseBuilder.StreamFrames(result, isChat))
        {
            var perToken = _options.LatencyPerToken;
            if (isToken && perToken > TimeSpan.Zero)
            {
                await Task.Delay(perToken, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            await response.Body.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsAuthorized(HttpRequest request, string path)
    {
        var key = _options.ApiKey;
        if (string.IsNullOrEmpty(key) || GatewayRoutes.IsPublic(path))
        {
            return true;
        }

        string? presented = request.Headers.Authorization;
        if (presented is not null && presented.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = presented["Bearer ".Length..].Trim();
        }

        if (string.IsNullOrEmpty(presented))
        {
            presented = request.Headers["X-Api-Key"];
        }

        return presented is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(key));
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task WriteAsync(HttpContext context, GatewayResponse response, bool truncate, CancellationToken cancellationToken)
    {
        var http = context.Response;
        http.StatusCode = response.StatusCode;
        http.ContentType = response.ContentType;
        if (response.RetryAfterSeconds is { } retryAfter)
        {
            http.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        var body = truncate ? response.Body.AsMemory(0, response.Body.Length / 2) : response.Body.AsMemory();
        http.ContentLength = body.Length;
        await http.Body.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }
}
