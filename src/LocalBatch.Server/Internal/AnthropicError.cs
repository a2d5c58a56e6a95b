using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Anthropic's error body, <c>{"type": "error", "error": {"type", "message"}}</c>, as the Message Batches routes answer
/// every error (and as a message batch's <c>errored</c> result carries one).
/// </summary>
/// <param name="Error">The error.</param>
/// <param name="RequestId">The id of the request that failed, when there is one.</param>
internal sealed record AnthropicErrorResponse(
    [property: JsonPropertyName("error")] AnthropicErrorBody Error,
    [property: JsonPropertyName("request_id")] string? RequestId = null)
{
    /// <summary>Gets the body's type: always <c>error</c>.</summary>
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type => "error";

    /// <summary>Anthropic's error type for an HTTP status, as its API answers them.</summary>
    public static string TypeOf(int statusCode) => statusCode switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status403Forbidden => "permission_error",
        StatusCodes.Status404NotFound => "not_found_error",
        StatusCodes.Status413PayloadTooLarge => "request_too_large",
        StatusCodes.Status429TooManyRequests => "rate_limit_error",
        StatusCodes.Status408RequestTimeout or StatusCodes.Status504GatewayTimeout => "timeout_error",
        StatusCodes.Status503ServiceUnavailable or 529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };
}

/// <summary>The inside of Anthropic's error body.</summary>
/// <param name="Type">The error type, such as <c>invalid_request_error</c> or <c>not_found_error</c>.</param>
/// <param name="Message">What is wrong, for a person.</param>
internal sealed record AnthropicErrorBody(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message")] string Message);
