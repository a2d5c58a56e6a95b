using System.Text.Json.Serialization;

namespace LocalBatch.Gateway.Internal;

/// <summary>llama.cpp's error body, <c>{"error": {"code", "message", "type"}}</c>, for answers whose own body was not JSON.</summary>
internal sealed record GatewayErrorBody([property: JsonPropertyName("error")] GatewayErrorBody.ErrorDetail Error)
{
    internal sealed record ErrorDetail(
        [property: JsonPropertyName("code")] int Code,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("type")] string Type);
}
