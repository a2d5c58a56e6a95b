using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Internal;

/// <summary>
/// An error answer: an HTTP status and, in the shape of the API the request was for, OpenAI's
/// <c>{"error": {"message", "type", "param", "code"}}</c> or, on Anthropic's Message Batches routes,
/// <c>{"type": "error", "error": {"type", "message"}}</c> (see <see cref="ApiErrorResult"/>). It never carries an
/// exception's stack trace, nor anything a client sent as a key.
/// </summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Message">What is wrong, for a person.</param>
/// <param name="Type">OpenAI's error type: <c>invalid_request_error</c> or <c>server_error</c>.</param>
/// <param name="Param">The request parameter at fault, when there is one.</param>
/// <param name="Code">A machine-readable code, when there is one.</param>
internal sealed record ApiError(int StatusCode, string Message, string Type = ApiError.InvalidRequest, string? Param = null, string? Code = null)
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Server = "server_error";

    public static ApiError BadRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, InvalidRequest, param, code);

    public static ApiError MissingParameter(string param) =>
        BadRequest($"Missing required parameter: '{param}'.", param, "missing_required_parameter");

    public static ApiError NotFound(string message, string? param = null) =>
        new(StatusCodes.Status404NotFound, message, InvalidRequest, param);

    public static ApiError Conflict(string message) => new(StatusCodes.Status409Conflict, message);

    public static ApiError TooLarge(string message, string? param = null) =>
        new(StatusCodes.Status413PayloadTooLarge, message, InvalidRequest, param, "request_too_large");

    public static ApiError BodyTooLarge() => TooLarge("The request body is larger than this server accepts.");

    public static ApiError InsufficientStorage() =>
        new(StatusCodes.Status507InsufficientStorage, "The server's store is full: what this request would have written was not kept. Free some space on the server's disk and try again.", Server, Code: "insufficient_storage");

    public static ApiError Unexpected() =>
        new(StatusCodes.Status500InternalServerError, "The server had an error while processing your request; it has been logged.", Server);

    public static ApiError NotAllowed(string message) => new(StatusCodes.Status405MethodNotAllowed, message, InvalidRequest, Code: "method_not_allowed");

    /// <summary>Gets the answer as a result that writes the status and the JSON body, in the shape of the request's API.</summary>
    public IResult ToResult() => new ApiErrorResult(this);

    /// <summary>Gets the exception a handler throws to answer with this error.</summary>
    public ApiErrorException ToException() => new(this);

    /// <summary>Writes the answer, unless the response has started (then the connection is all that is left to end).</summary>
    public Task WriteAsync(HttpContext context) =>
        context.Response.HasStarted ? Task.CompletedTask : ToResult().ExecuteAsync(context);
}
