using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>The server's answer to one line of a batch.</summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="RequestId">The request's id.</param>
/// <param name="Body">The JSON body, as the server sent it; serialized as the server's bytes, never re-escaped (on one line).</param>
public sealed record BatchResponse(
    [property: JsonPropertyName("status_code")] int StatusCode,
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("body"), JsonConverter(typeof(Internal.RawJsonBodyConverter))] JsonElement Body);
