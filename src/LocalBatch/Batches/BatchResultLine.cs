using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LocalBatch.Gateway.Internal;

namespace LocalBatch.Batches;

/// <summary>
/// One line of a batch's output or error file:
/// <c>{"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id", "body"}, "error": null}</c>.
/// </summary>
/// <param name="Id">The line's id, <c>batch_req_…</c>.</param>
/// <param name="CustomId">The <c>custom_id</c> of the input line.</param>
/// <param name="Response">The server's answer, or <see langword="null"/> when it never answered.</param>
/// <param name="Error">Why there is no answer, or <see langword="null"/> when the server answered.</param>
public sealed record BatchResultLine(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("custom_id")] string CustomId,
    [property: JsonPropertyName("response"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] BatchResponse? Response,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] BatchLineError? Error)
{
    /// <summary>Gets a value indicating whether the server answered this line with a 2xx status.</summary>
    [JsonIgnore]
    public bool IsSuccess => Response is { StatusCode: >= 200 and < 300 };

    /// <summary>
    /// Gets a value indicating whether the request failed in a way that sending it again may mend: it got no answer (the
    /// server was unreachable, timed out, answered garbage, or the batch was cancelled or expired first), or an answer
    /// whose status is transient (408, 429, 502, 503, 504, or a 500 other than llama.cpp's permanent ones). A request the
    /// server refused for itself (other 4xx, 501, a permanent 500) is not: it would fail the same way again.
    /// </summary>
    [JsonIgnore]
    public bool IsRetryable => Response switch
    {
        null => Error is not null,
        { StatusCode: >= 200 and < 300 } => false,
        { } response => GatewayErrorClassifier.IsTransientStatus(response.StatusCode, LocalGatewayException.ReadErrorBody(response.Body).Message),
    };

    /// <summary>
    /// Gets what a failed line failed on, in a few words that lines failing alike share: the status and the server's
    /// error <c>type</c> of an answer that is not 2xx (<c>404 not_found_error</c>, or <c>404</c> when its body names no
    /// type), or the code of a line without an answer (<c>server_unreachable</c>, <c>timeout</c>, <c>batch_cancelled</c>, …).
    /// </summary>
    /// <value>The cause, or <see langword="null"/> for a success.</value>
    [JsonIgnore]
    public string? FailureCause => (Response, Error) switch
    {
        ({ StatusCode: >= 200 and < 300 }, _) => null,
        ({ } response, _) => LocalGatewayException.ReadErrorBody(response.Body).Type is { } type
            ? string.Create(CultureInfo.InvariantCulture, $"{response.StatusCode} {type}")
            : response.StatusCode.ToString(CultureInfo.InvariantCulture),
        (null, { } error) => error.Code,
        _ => null,
    };

    /// <summary>Gets the message of a failed line: the server's error <c>message</c>, or why the line got no answer.</summary>
    /// <value>The message, or <see langword="null"/> for a success or an error body without one.</value>
    [JsonIgnore]
    public string? FailureMessage => (Response, Error) switch
    {
        ({ StatusCode: >= 200 and < 300 }, _) => null,
        ({ } response, _) => LocalGatewayException.ReadErrorBody(response.Body).Message,
        (null, { } error) => error.Message,
        _ => null,
    };

    /// <summary>
    /// Reads the body of the successful answer as one of the library's response types, without reflection:
    /// <see cref="CompletionResponse"/>, <see cref="ChatCompletionResponse"/>, <see cref="EmbeddingResponse"/> or
    /// <see cref="JsonElement"/>.
    /// </summary>
    /// <typeparam name="T">The response type, chosen by the batch's endpoint.</typeparam>
    /// <returns>The body.</returns>
    /// <exception cref="InvalidOperationException">The line has no successful answer (see <see cref="Error"/> or <see cref="Response"/>).</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the library's response types; use <see cref="GetBody{T}(JsonTypeInfo{T})"/>.</exception>
    /// <exception cref="JsonException">The body is not a <typeparamref name="T"/>.</exception>
    public T GetBody<T>() => GetBody(TypeInfoOf<T>());

    /// <summary>Reads the body of the successful answer with the given (source-generated) type information.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="typeInfo">The type's JSON metadata, such as <c>MyContext.Default.MyType</c>.</param>
    /// <returns>The body.</returns>
    /// <exception cref="InvalidOperationException">The line has no successful answer.</exception>
    /// <exception cref="JsonException">The body is not a <typeparamref name="T"/>.</exception>
    public T GetBody<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (!IsSuccess)
        {
            throw new InvalidOperationException(
                $"The line for '{CustomId}' has no successful answer: {(Response is { } response ? $"HTTP {response.StatusCode}" : $"{Error?.Code}: {Error?.Message}")}.");
        }

        return Response!.Body.Deserialize(typeInfo) ?? throw new JsonException($"The body of the answer for '{CustomId}' is null.");
    }

    /// <summary>Reads the body of the successful answer, when there is one and it is a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">One of the library's response types (see <see cref="GetBody{T}()"/>).</typeparam>
    /// <param name="body">The body, or the default when the method returns <see langword="false"/>.</param>
    /// <returns><see langword="true"/> when the line has a 2xx answer whose body reads as a <typeparamref name="T"/>.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the library's response types.</exception>
    public bool TryGetBody<T>([NotNullWhen(true)] out T? body)
    {
        var typeInfo = TypeInfoOf<T>();
        body = default;
        if (!IsSuccess)
        {
            return false;
        }

        try
        {
            body = Response!.Body.Deserialize(typeInfo);
        }
        catch (JsonException)
        {
            return false;
        }

        return body is not null;
    }

    private static JsonTypeInfo<T> TypeInfoOf<T>() =>
        LocalBatchJsonContext.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new NotSupportedException($"{typeof(T).Name} is not a LocalBatch response type; pass its JsonTypeInfo to GetBody.");
}
