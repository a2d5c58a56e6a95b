using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>Why a line of a batch got no answer.</summary>
/// <param name="Code">
/// A code: <c>batch_cancelled</c>, <c>batch_expired</c>, <c>timeout</c>, <c>invalid_response</c>,
/// <c>server_unreachable</c> (this request's connection kept breaking while the server answered others; a server
/// that is down stops the run instead), or <c>request_failed</c> for any other failure without an answer.
/// </param>
/// <param name="Message">What happened, for a person.</param>
public sealed record BatchLineError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);
