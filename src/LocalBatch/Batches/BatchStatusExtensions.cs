using System.Text.Json;

namespace LocalBatch.Batches;

/// <summary>OpenAI's wire names of <see cref="BatchStatus"/> values.</summary>
public static class BatchStatusExtensions
{
    // Taken from the enum's own JSON names, so that the two can never disagree.
    private static readonly string[] s_names =
        [.. Enum.GetValues<BatchStatus>().Select(status => JsonSerializer.Serialize(status, BatchJsonContext.Default.BatchStatus).Trim('"'))];

    /// <summary>Gets the status as OpenAI writes it: <c>validating</c>, <c>in_progress</c>, <c>completed</c>, ….</summary>
    /// <param name="status">The status.</param>
    /// <returns>The wire name (the enum's name for a value that is not defined).</returns>
    public static string ToWireName(this BatchStatus status) =>
        (uint)status < (uint)s_names.Length ? s_names[(int)status] : status.ToString();
}
