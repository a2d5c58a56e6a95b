using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>How many requests a batch has, and how many have finished each way.</summary>
/// <param name="Total">The requests in the input.</param>
/// <param name="Completed">The requests answered with a 2xx.</param>
/// <param name="Failed">The requests that ended without a 2xx answer.</param>
public sealed record BatchRequestCounts(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("failed")] int Failed);
