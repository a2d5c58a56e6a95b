using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LocalBatch.Gateway.Internal;

namespace LocalBatch;

/// <summary>
/// The one exception the gateway client throws for a failed request: an error status from the server,
/// an unreadable answer, no answer at all, or a timeout — after the retries that such a failure deserves.
/// </summary>
/// <remarks>
/// It carries the HTTP status, llama.cpp's error <c>type</c> and <c>message</c>, and the path, and never the
/// API key. Cancellation by the caller is never wrapped: it surfaces as <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed class LocalGatewayException : Exception
{
    private const int MaxBodyChars = 64 * 1024;

    /// <summary>Initializes a new instance of the <see cref="LocalGatewayException"/> class.</summary>
    public LocalGatewayException()
        : this("The gateway request failed.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalGatewayException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public LocalGatewayException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalGatewayException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public LocalGatewayException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
        Kind = GatewayErrorKind.Server;
    }

    private LocalGatewayException(string message, Exception? innerException, GatewayErrorKind kind, string path)
        : base(message, innerException)
    {
        Kind = kind;
        Path = path;
    }

    /// <summary>Gets what kind of failure this is.</summary>
    public GatewayErrorKind Kind { get; private init; }

    /// <summary>Gets the HTTP status the server answered with, or <see langword="null"/> when it did not answer.</summary>
    public int? StatusCode { get; private init; }

    /// <summary>Gets llama.cpp's error <c>type</c> (<c>invalid_request_error</c>, <c>exceed_context_size_error</c>, …), when the body had one.</summary>
    public string? ErrorType { get; private init; }

    /// <summary>Gets the server's own error <c>message</c>, when the body had one.</summary>
    public string? ServerMessage { get; private init; }

    /// <summary>Gets the request path, such as <c>/v1/completions</c>.</summary>
    public string Path { get; private init; }

    /// <summary>Gets the raw error body (at most 64 KiB), when the server sent one.</summary>
    public string? ResponseBody { get; private init; }

    /// <summary>Gets the delay the server asked for with <c>Retry-After</c>, when it did.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>Gets the server's request id header, when it sent one.</summary>
    public string? RequestId { get; private init; }

    /// <summary>Gets the position of the input that caused the failure, when one input of a batch call is to blame.</summary>
    public int? InputIndex { get; private init; }

    /// <summary>Gets a value indicating whether trying the same request again may succeed (a transient fault).</summary>
    public bool IsTransient { get; private init; }

    /// <summary>Builds the exception for a non-success answer, reading its error body; a failure while reading never hides the status.</summary>
    internal static async Task<LocalGatewayException> FromResponseAsync(HttpResponseMessage response, string path, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string? body = null;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > MaxBodyChars)
            {
                body = body[..MaxBodyChars];
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The status says enough; a body we cannot read must not replace it.
        }

        var (type, serverMessage) = ParseErrorBody(body);
        var transient = GatewayErrorClassifier.IsTransientStatus(status, serverMessage);
        var kind = transient ? GatewayErrorKind.Server : GatewayErrorKind.Request;
        return new LocalGatewayException(Describe(status, type, serverMessage, path), null, kind, path)
        {
            StatusCode = status,
            ErrorType = type,
            ServerMessage = serverMessage,
            ResponseBody = body,
            RetryAfter = ReadRetryAfter(response.Headers.RetryAfter, timeProvider),
            RequestId = ReadRequestId(response),
            IsTransient = transient,
        };
    }

    /// <summary>A 2xx answer whose body could not be read as the expected JSON (truncated by a dying server or a proxy).</summary>
    internal static LocalGatewayException InvalidResponse(string path, int status, Exception? cause) =>
        new($"The gateway answered {status} to {path} with a body that is truncated or not the expected JSON{(cause is null ? "." : $": {cause.Message}")}", cause, GatewayErrorKind.InvalidResponse, path)
        {
            StatusCode = status,
            IsTransient = true,
        };

    /// <summary>No answer: the connection was refused, reset or broke while the body was read.</summary>
    internal static LocalGatewayException Unreachable(string path, Uri? endpoint, Exception cause) =>
        new($"The gateway at {endpoint?.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) ?? "(unknown)"} did not answer {path}: {cause.Message}", cause, GatewayErrorKind.Unreachable, path)
        {
            IsTransient = true,
        };

    /// <summary>An attempt ran past the per-attempt timeout.</summary>
    internal static LocalGatewayException AttemptTimedOut(string path, TimeSpan timeout, Exception cause) =>
        new($"The gateway did not finish {path} within the attempt timeout of {timeout} (LocalBatchOptions.AttemptTimeout).", cause, GatewayErrorKind.Timeout, path)
        {
            IsTransient = true,
        };

    /// <summary>
    /// A batch run stopped on one request's failure that every other request would share (the server is gone, or it
    /// refuses this client's key): the kind, status and server message are the request's, the message the batch's.
    /// </summary>
    internal static LocalGatewayException RunStopped(string message, BatchItemError cause, string path) =>
        new(message, cause.Exception, cause.Kind, path)
        {
            StatusCode = cause.StatusCode,
            ErrorType = cause.Type,
            ServerMessage = cause.StatusCode is null ? null : cause.Message,
            IsTransient = cause.Kind != GatewayErrorKind.Request,
        };

    /// <summary>One embedding input that the server refuses even when it is sent alone: the server's refusal, naming the input.</summary>
    internal static LocalGatewayException ForEmbeddingInput(int index, LocalGatewayException cause) =>
        new($"Embedding input {index} is refused even when sent alone. {cause.Message}", cause, cause.Kind, cause.Path)
        {
            StatusCode = cause.StatusCode,
            ErrorType = cause.ErrorType,
            ServerMessage = cause.ServerMessage,
            ResponseBody = cause.ResponseBody,
            RequestId = cause.RequestId,
            IsTransient = cause.IsTransient,
            InputIndex = index,
        };

    private static (string? Type, string? Message) ParseErrorBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return ReadErrorBody(document.RootElement);
        }
        catch (JsonException)
        {
            // A proxy's HTML or plain-text page: show its start.
            var text = body.Trim();
            return (null, text.Length > 200 ? text[..200] + "…" : text);
        }
    }

    /// <summary>Reads llama.cpp's error body, <c>{"error": {"type", "message"}}</c> (or a bare <c>error</c>/<c>message</c> string).</summary>
    internal static (string? Type, string? Message) ReadErrorBody(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, null);
        }

        if (root.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.Object)
            {
                return (GetString(error, "type"), GetString(error, "message"));
            }

            if (error.ValueKind == JsonValueKind.String)
            {
                return (null, error.GetString());
            }
        }

        return (null, GetString(root, "message"));

        static string? GetString(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static string Describe(int status, string? type, string? serverMessage, string path)
    {
        var text = new StringBuilder();
        text.Append("The gateway answered ").Append(status);
        if (type is not null)
        {
            text.Append(" (").Append(type).Append(')');
        }

        text.Append(" to ").Append(path);
        text.Append(serverMessage is null ? "." : $": {serverMessage}");
        var hint = status switch
        {
            401 => " Check LocalBatchOptions.ApiKey (or LOCALBATCH_API_KEY): the server was started with --api-key.",
            404 => " Check LocalBatchOptions.Endpoint: it should be the server's base address, without /v1.",
            501 when path.Contains("embeddings", StringComparison.Ordinal) => " Start llama-server with --embeddings.",
            _ when type == "exceed_context_size_error" => " Shorten the prompt or start the server with a larger context (-c) per slot.",
            _ when serverMessage?.Contains("too large to process", StringComparison.Ordinal) == true => " Send smaller inputs or start the server with a larger batch size (-b, -ub).",
            _ => string.Empty,
        };
        return text.Append(hint).ToString();
    }

    private static TimeSpan? ReadRetryAfter(RetryConditionHeaderValue? header, TimeProvider timeProvider)
    {
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    internal static string? ReadRequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Request-Id", out var values) ? values.FirstOrDefault() : null;
}
