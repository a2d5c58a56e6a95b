using System.Text.Json.Serialization;

namespace LocalBatch.Server.Internal;

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
/// <param name="Error">The error.</param>
internal sealed record ApiErrorResponse([property: JsonPropertyName("error")] ApiErrorBody Error);

/// <summary>The inside of OpenAI's error body; <c>param</c> and <c>code</c> are written as <c>null</c> when unset.</summary>
/// <param name="Message">What is wrong.</param>
/// <param name="Type">The error type.</param>
/// <param name="Param">The parameter at fault.</param>
/// <param name="Code">A machine-readable code.</param>
internal sealed record ApiErrorBody(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);
