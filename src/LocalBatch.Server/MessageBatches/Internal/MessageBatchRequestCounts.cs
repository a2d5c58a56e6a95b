using System.Text.Json.Serialization;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>A message batch's requests by how they stand; they add up to the batch's requests.</summary>
/// <param name="Processing">Not answered yet.</param>
/// <param name="Succeeded">Answered with a message.</param>
/// <param name="Errored">Answered with an error, or never answered (the gateway unreachable, a timeout).</param>
/// <param name="Canceled">Not run because the batch was cancelled first.</param>
/// <param name="Expired">Not run because the batch expired first.</param>
internal sealed record MessageBatchRequestCounts(
    [property: JsonPropertyName("processing")] int Processing,
    [property: JsonPropertyName("succeeded")] int Succeeded,
    [property: JsonPropertyName("errored")] int Errored,
    [property: JsonPropertyName("canceled")] int Canceled,
    [property: JsonPropertyName("expired")] int Expired);
