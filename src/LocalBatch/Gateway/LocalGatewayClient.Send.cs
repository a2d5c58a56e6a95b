using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;
using Polly;

namespace LocalBatch;

// How one call is sent: serialized once, tried in the resilience pipeline, and its answer read or turned into an error.
public sealed partial class LocalGatewayClient
{
    private async Task<TResponse> PostAsync<TRequest, TResponse>(
        string path,
        TRequest request,
        string? model,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        Func<TResponse, Usage?> usage,
        Func<TResponse, string?> responseModel,
        RequestTelemetry? telemetry,
        CancellationToken cancellationToken)
    {
        // Serialized once, sent as often as the retries need, with a Content-Length (no chunked upload).
        var bytes = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            Log.SendingRequest(_logger, "POST", path, System.Text.Encoding.UTF8.GetString(bytes));
        }

        var observation = RequestObservation.Start(Metrics, TimeProvider, path, model, telemetry);
        TResponse response;
        try
        {
            response = await SendAsync(HttpMethod.Post, path, bytes, ReadJsonAsync(responseType), observation.Telemetry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            observation.Failed(ErrorTypeOf(ex));
            throw;
        }

        observation.Succeeded(usage(response), responseModel(response));
        return response;
    }

    /// <summary>The <c>error.type</c> of a failed request: its HTTP status, else the kind of failure.</summary>
    private static string ErrorTypeOf(Exception exception) => exception switch
    {
        LocalGatewayException { StatusCode: { } status } => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        LocalGatewayException gateway => gateway.Kind.ToString(),
        OperationCanceledException => "cancelled",
        _ => exception.GetType().Name,
    };

    /// <summary>
    /// Sends one request, retried as its failures deserve. A request with a body is a generation request: each attempt
    /// takes a slot of a server from the pool; a request without one (<c>/props</c>, <c>/v1/models</c>) goes to
    /// <paramref name="server"/>, else to the first server in the rotation, and takes no slot.
    /// </summary>
    /// <remarks>
    /// The first attempt runs outside the retry pipeline, so that its success, the common case, costs nothing of it; a
    /// transient failure enters the pipeline as its first outcome, so the delays, <c>Retry-After</c>, the log line and
    /// the count of attempts are the pipeline's, as if it had run the first attempt itself.
    /// </remarks>
    private async Task<T> SendAsync<T>(
        HttpMethod method,
        string path,
        byte[]? content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        RequestTelemetry? telemetry,
        CancellationToken cancellationToken,
        ServerEndpoint? server = null)
    {
        var attempt = new Attempt<T>(this, method, path, content, read, telemetry, server);
        try
        {
            return await attempt.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LocalGatewayException ex) when (ex.IsTransient && Options.MaxRetryAttempts > 0)
        {
            attempt.FirstFailure = ex;
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(GatewayResiliencePipeline.OperationKey, OperationNames.Of(method, path));
        try
        {
            return await _retry.ExecuteAsync(
                static (ctx, state) => new ValueTask<T>(state.RunAfterFirstAsync(ctx.CancellationToken)),
                context,
                attempt).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// One attempt of a generation request: a slot of a server in the rotation, the request within the attempt
    /// timeout, and what the server's answer says of it. A failure the next server would not repeat (a dropped
    /// connection, 5xx, 429) is sent again at once to a server this attempt has not tried, while one is in the rotation;
    /// after that, the retry pipeline decides.
    /// </summary>
    private async Task<T> SendToPoolAsync<T>(
        HttpMethod method,
        string path,
        byte[] content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        RequestTelemetry? telemetry,
        CancellationToken cancellationToken)
    {
        List<ServerEndpoint>? tried = null;
        while (true)
        {
            var lease = await Pool.AcquireAsync(tried, telemetry?.PreferredServer, cancellationToken).ConfigureAwait(false);
            telemetry?.Server = lease.Endpoint;
            var outcome = AttemptOutcome.Abandoned;
            try
            {
                var answer = await SendWithinTimeoutAsync(lease.Endpoint, method, path, content, read, cancellationToken).ConfigureAwait(false);
                outcome = AttemptOutcome.Answered;
                return answer;
            }
            catch (LocalGatewayException ex) when (OutcomeOf(ex) is var failure && (outcome = failure) != AttemptOutcome.Refused
                && Pool.CanFailOver(lease.Endpoint, tried ??= []))
            {
                tried.Add(lease.Endpoint);
                Log.FailingOver(_logger, method.Method, path, lease.Endpoint.Display, ex.Message);
            }
            catch (LocalGatewayException ex)
            {
                outcome = OutcomeOf(ex);
                throw;
            }
            finally
            {
                Pool.Complete(lease, outcome);
            }
        }
    }

    /// <summary>One attempt, cut after <see cref="LocalBatchOptions.AttemptTimeout"/> (the wait for a slot is not counted).</summary>
    /// <exception cref="LocalGatewayException">The attempt failed, or timed out (a transient <see cref="GatewayErrorKind.Timeout"/>).</exception>
    private async Task<T> SendWithinTimeoutAsync<T>(
        ServerEndpoint server,
        HttpMethod method,
        string path,
        byte[]? content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        CancellationToken cancellationToken)
    {
        if (_attemptTimeouts is null)
        {
            return await SendOnceAsync(server, method, path, content, read, cancellationToken).ConfigureAwait(false);
        }

        var timeout = _attemptTimeouts.Rent();
        var caller = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), timeout);
        try
        {
            return await SendOnceAsync(server, method, path, content, read, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw LocalGatewayException.AttemptTimedOut(path, _attemptTimeouts.Timeout, ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled by the caller: said with the caller's token, as every cancellation of the client is.
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            await caller.DisposeAsync().ConfigureAwait(false);
            _attemptTimeouts.Return(timeout);
        }
    }

    /// <summary>What a failed attempt says of the server it went to.</summary>
    private static AttemptOutcome OutcomeOf(LocalGatewayException exception) => exception switch
    {
        { Kind: GatewayErrorKind.Unreachable } => AttemptOutcome.Unreachable,
        { StatusCode: 503 } => AttemptOutcome.Loading,
        { StatusCode: 429 } => AttemptOutcome.Overloaded,
        { IsTransient: true } => AttemptOutcome.ServerError,
        _ => AttemptOutcome.Refused,
    };

    private async Task<T> SendOnceAsync<T>(
        ServerEndpoint server,
        HttpMethod method,
        string path,
        byte[]? content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, server.UriOf(path));
        request.Headers.Authorization = _authorization;
        if (content is not null)
        {
            request.Content = new ByteArrayContent(content);
            request.Content.Headers.ContentType = JsonMediaType;
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw LocalGatewayException.Unreachable(path, server.BaseAddress, ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await LocalGatewayException.FromResponseAsync(response, path, TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await read(response, path, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw LocalGatewayException.InvalidResponse(path, (int)response.StatusCode, ex);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                // The connection broke while the body was read: a dying server.
                throw LocalGatewayException.Unreachable(path, server.BaseAddress, ex);
            }
        }
    }

    /// <summary>The reader of a JSON answer of one type; built once a type (it is a closure over the type's metadata).</summary>
    private static Func<HttpResponseMessage, string, CancellationToken, Task<T>> ReadJsonAsync<T>(JsonTypeInfo<T> typeInfo) =>
        JsonReaders<T>.For(typeInfo);

    private static Func<HttpResponseMessage, string, CancellationToken, Task<T>> CreateJsonReader<T>(JsonTypeInfo<T> typeInfo) =>
        async (response, path, cancellationToken) =>
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken).ConfigureAwait(false)
                    ?? throw LocalGatewayException.InvalidResponse(path, (int)response.StatusCode, cause: null);
            }
        };

    private static async Task<GatewayResponse> ReadRawAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var body = await JsonSerializer.DeserializeAsync(stream, LocalBatchJsonContext.Default.JsonElement, cancellationToken).ConfigureAwait(false);
            return new GatewayResponse((int)response.StatusCode, body, LocalGatewayException.ReadRequestId(response));
        }
    }

    private static JsonElement ErrorBodyAsJson(LocalGatewayException exception)
    {
        if (exception.ResponseBody is { Length: > 0 } text)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not JSON (a proxy's page): wrapped below in llama.cpp's error shape.
            }
        }

        var error = new GatewayErrorBody(new GatewayErrorBody.ErrorDetail(exception.StatusCode ?? 0, exception.ServerMessage ?? exception.Message, exception.ErrorType ?? "server_error"));
        return JsonSerializer.SerializeToElement(error, LocalBatchJsonContext.Default.GatewayErrorBody);
    }

    private static string? ReadHealthStatus(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
                ? status.GetString()
                : LocalGatewayException.ReadErrorBody(root).Message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The reader of JSON answers of one type, for the type metadata it was last asked with (the library's, always).</summary>
    private static class JsonReaders<T>
    {
        private static Cached? s_cached;

        public static Func<HttpResponseMessage, string, CancellationToken, Task<T>> For(JsonTypeInfo<T> typeInfo)
        {
            if (s_cached is { } cached && ReferenceEquals(cached.TypeInfo, typeInfo))
            {
                return cached.Reader;
            }

            var reader = CreateJsonReader(typeInfo);
            s_cached = new Cached(typeInfo, reader);
            return reader;
        }

        private sealed record Cached(JsonTypeInfo<T> TypeInfo, Func<HttpResponseMessage, string, CancellationToken, Task<T>> Reader);
    }

    /// <summary>One request's inputs, passed as state so the pipeline allocates no closure per call.</summary>
    private sealed class Attempt<T>(
        LocalGatewayClient client,
        HttpMethod method,
        string path,
        byte[]? content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        RequestTelemetry? telemetry,
        ServerEndpoint? server)
    {
        /// <summary>Gets or sets the transient failure of the attempt made before the retry pipeline took over.</summary>
        public LocalGatewayException? FirstFailure { get; set; }

        /// <summary>In the retry pipeline: first the failure of the attempt made outside it (as its first outcome), then attempts.</summary>
        public Task<T> RunAfterFirstAsync(CancellationToken cancellationToken)
        {
            if (FirstFailure is { } first)
            {
                FirstFailure = null;
                return Task.FromException<T>(first);
            }

            return RunAsync(cancellationToken);
        }

        public Task<T> RunAsync(CancellationToken cancellationToken)
        {
            telemetry?.AttemptStarted();
            return content is not null && server is null
                ? client.SendToPoolAsync(method, path, content, read, telemetry, cancellationToken)
                : client.SendWithinTimeoutAsync(server ?? client.Pool.FirstInRotation(), method, path, content, read, cancellationToken);
        }
    }
}
