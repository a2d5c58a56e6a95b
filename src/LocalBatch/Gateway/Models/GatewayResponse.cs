using System.Text.Json;

namespace LocalBatch;

/// <summary>A raw answer of the server: its status and its JSON body, as the Batch API's output lines need them.</summary>
/// <param name="StatusCode">The HTTP status of the answer.</param>
/// <param name="Body">The JSON body; <see cref="JsonValueKind.Undefined"/> when the body was empty.</param>
/// <param name="RequestId">The server's request id header (<c>X-Request-Id</c>) when it sent one.</param>
public sealed record GatewayResponse(int StatusCode, JsonElement Body, string? RequestId)
{
    /// <summary>Gets a value indicating whether the status is 2xx.</summary>
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}
