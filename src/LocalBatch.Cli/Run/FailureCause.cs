using System.Text.Json.Serialization;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <summary>One cause of failed lines, in the run summary's <c>failure_causes</c>.</summary>
/// <param name="Cause">The cause (<see cref="BatchResultLine.FailureCause"/>), such as <c>404 not_found_error</c> or <c>timeout</c>.</param>
/// <param name="Count">The failed lines with this cause.</param>
/// <param name="Message">The message of the first of them.</param>
internal sealed record FailureCause(
    [property: JsonPropertyName("cause")] string Cause,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("message")] string? Message);
