using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;
using Polly;

namespace LocalBatch;

// How one call is sent: serialized once, tried in the resilience pipeline, and what happened returned as a value.
public sealed partial class LocalGatewayClient
{
    private async Task<Sent<TResponse>> PostAsync<TRequest, TResponse>(
        string path,
        TRequest request,
        string? model,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        Func<TResponse, Usage?> usage,
        Func<TResponse, string?> responseModel,
        ServerEndpoint? preferred,
        CancellationToken cancellationToken)
    {
        // Serialized once, sent as often as the retries need, with a Content-Length (no chunked upload).
        var bytes = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            Log.SendingRequest(_logger, "POST", path, System.Text.Encoding.UTF8.GetString(bytes));
        }

        var observation = RequestObservation.Start(Metrics, TimeProvider, path, model);
        Sent<TResponse> sent;
        try
        {
            sent = await SendAsync(HttpMethod.Post, path, bytes, ResponseReaders.Json(responseType), preferred, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            observation.Failed(ErrorTypeOf(ex), server: null);
            throw;
        }

        if (sent.IsSuccess)
        {
            observation.Succeeded(usage(sent.Value!), responseModel(sent.Value!), sent.Server);
        }
        else
        {
            observation.Failed(ErrorTypeOf(sent.Exception!), sent.Server);
        }

        return sent;
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
    /// Sends one request, retried as its failures deserve, and returns what happened. A request with a body is a
    /// generation request: each attempt takes a slot of a server at the pool's admission point (<paramref name="preferred"/>
    /// when it has room); a request without one (<c>/props</c>, <c>/v1/models</c>) goes to <paramref name="server"/>, else
    /// to the first server in the rotation, and takes no slot.
    /// </summary>
    /// <remarks>
    /// The first attempt runs outside the retry pipeline, so that its success, the common case, costs nothing of it; a
    /// transient failure enters the pipeline as its first outcome, so the delays, <c>Retry-After</c>, the log line and
    /// the count of attempts are the pipeline's, as if it had run the first attempt itself.
    /// </remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the only failure thrown.</exception>
    private async Task<Sent<T>> SendAsync<T>(
        HttpMethod method,
        string path,
        byte[]? content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        ServerEndpoint? preferred,
        CancellationToken cancellationToken,
        ServerEndpoint? server = null)
    {
        var attempt = new Attempt<T>(this, method, path, content, read, preferred, server);
        Outcome<T> outcome;
        try
        {
            outcome = Outcome.FromResult(await attempt.SendAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            outcome = Outcome.FromException<T>(ex);
        }

        if (outcome.Exception is LocalGatewayException { IsTransient: true } && Options.MaxRetryAttempts > 0)
        {
            attempt.FirstFailure = outcome;
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(GatewayResiliencePipeline.OperationKey, OperationNames.Of(method, path));
            try
            {
                outcome = await _retry.ExecuteOutcomeAsync(
                    static (ctx, state) => state.RunAfterFirstAsync(ctx.CancellationToken),
                    context,
                    attempt).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        if (outcome.Exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // Cancelled by the caller: said with the caller's token, as every cancellation of the client is.
            throw new OperationCanceledException(cancellationToken);
        }

        return outcome.Exception is { } failure
            ? new Sent<T>(default, ExceptionDispatchInfo.Capture(failure), attempt.Server, attempt.Attempts)
            : new Sent<T>(outcome.Result, null, attempt.Server, attempt.Attempts);
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
            return await _transport.SendOnceAsync(server, method, path, content, read, cancellationToken).ConfigureAwait(false);
        }

        var timeout = _attemptTimeouts.Rent();
        var caller = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), timeout);
        try
        {
            return await _transport.SendOnceAsync(server, method, path, content, read, timeout.Token).ConfigureAwait(false);
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
        return UnescapedJson.SerializeToElement(error, LocalBatchJsonContext.Default.GatewayErrorBody);
    }

    /// <summary>
    /// One request's attempts: its inputs (passed to the pipeline as state, so that it allocates no closure per call),
    /// and what they came to so far: how many were made and the server of the last. Belongs to one call of
    /// <see cref="SendAsync{T}"/>, which returns it as a <see cref="Sent{T}"/>.
    /// </summary>
    private sealed class Attempt<T>(
        LocalGatewayClient client,
        HttpMethod method,
        string path,
        byte[]? content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        ServerEndpoint? preferred,
        ServerEndpoint? server)
    {
        private int _attempts;
        private ServerEndpoint? _server;
        private PlacedBody? _placed;
        private bool _read;

        /// <summary>Gets or sets the transient failure of the attempt made before the retry pipeline took over.</summary>
        public Outcome<T>? FirstFailure { get; set; }

        public int Attempts => Volatile.Read(ref _attempts);

        public ServerEndpoint? Server => Volatile.Read(ref _server);

        /// <summary>In the retry pipeline: first the failure of the attempt made outside it (as its first outcome), then attempts.</summary>
        public ValueTask<Outcome<T>> RunAfterFirstAsync(CancellationToken cancellationToken)
        {
            if (FirstFailure is { } first)
            {
                FirstFailure = null;
                return ValueTask.FromResult(first);
            }

            return RunAsync(cancellationToken);
        }

        /// <summary>One attempt: a generation request takes a slot from the pool; any other goes to its server.</summary>
        public Task<T> SendAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            return content is not null && server is null
                ? SendToPoolAsync(cancellationToken)
                : SendToAsync(server ?? client.Pool.FirstInRotation(), cancellationToken);
        }

        /// <summary>One attempt in the retry pipeline, its failure returned as an outcome rather than thrown.</summary>
        private async ValueTask<Outcome<T>> RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                return Outcome.FromResult(await SendAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                return Outcome.FromException<T>(ex);
            }
        }

        private Task<T> SendToAsync(ServerEndpoint target, CancellationToken cancellationToken, byte[]? body = null)
        {
            Volatile.Write(ref _server, target);
            return client.SendWithinTimeoutAsync(target, method, path, body ?? content, read, cancellationToken);
        }

        /// <summary>
        /// What a batch request's body lets the pool add (read once per call): this client's mark, when batches yield
        /// to interactive requests, and its lane's slot (see <see cref="PlacedBody"/>). An interactive request takes neither.
        /// </summary>
        private Placement PlacementOf(TurnGroup? group)
        {
            if (group is null)
            {
                return Placement.None;
            }

            if (!_read)
            {
                _placed = PlacedBody.Read(path, content!);
                _read = true;
            }

            return _placed is null
                ? Placement.None
                : new Placement(_placed.CanMark && client.Options.BatchPriority == BatchPriority.Background, _placed.CanPin ? SlotPin.Current : null);
        }

        /// <summary>
        /// One attempt of a generation request: a slot of a server from the admission point, the request within the
        /// attempt timeout, and what the server's answer says of it. A failure the next server would not repeat (a
        /// dropped connection, 5xx, 429) is sent again at once to a server this attempt has not tried, while one is in
        /// the rotation; after that, the retry pipeline decides.
        /// </summary>
        private async Task<T> SendToPoolAsync(CancellationToken cancellationToken)
        {
            List<ServerEndpoint>? tried = null;
            while (true)
            {
                var group = TurnGroup.Current;
                var lease = await client.Pool.AcquireAsync(tried, preferred, group, PlacementOf(group), cancellationToken).ConfigureAwait(false);
                var outcome = AttemptOutcome.Abandoned;
                try
                {
                    var body = _placed is { } placed && (lease.Marked || lease.Slot >= 0) ? placed.With(lease.Marked, lease.Slot) : null;
                    var answer = await SendToAsync(lease.Endpoint, cancellationToken, body).ConfigureAwait(false);
                    outcome = AttemptOutcome.Answered;
                    return answer;
                }
                catch (LocalGatewayException ex)
                {
                    outcome = OutcomeOf(ex);
                    if (outcome == AttemptOutcome.Refused || !client.Pool.CanFailOver(lease.Endpoint, tried ??= []))
                    {
                        throw;
                    }

                    tried.Add(lease.Endpoint);
                    Log.FailingOver(client._logger, method.Method, path, lease.Endpoint.Display, ex.Message);
                }
                finally
                {
                    client.Pool.Complete(lease, outcome);
                }
            }
        }
    }
}
