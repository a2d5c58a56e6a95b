using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>How many requests a batch has, and how many have finished each way.</summary>
/// <param name="Total">The requests in the input.</param>
/// <param name="Completed">The requests answered with a 2xx.</param>
/// <param name="Failed">The requests that ended without a 2xx answer.</param>
public sealed record BatchRequestCounts(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("failed")] int Failed)
{
    /// <summary>
    /// Gets how many of the <see cref="Completed"/> requests were answered by an earlier batch and reused, not sent
    /// (see <see cref="BatchCreateOptions.ReuseAnswersFrom"/>); written as <c>reused</c> only when there are some.
    /// </summary>
    /// <value>The default is 0.</value>
    [JsonPropertyName("reused")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Reused { get; init; }
}
