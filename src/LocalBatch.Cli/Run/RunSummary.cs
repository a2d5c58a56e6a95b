using System.Text.Json.Serialization;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <summary>
/// What <c>localbatch run --json</c> prints on stdout, one line, in the naming of the batch objects that <c>batches get</c>
/// prints (<c>status</c>, <c>request_counts</c>, <c>usage</c> and <c>errors</c> have their shapes).
/// </summary>
internal sealed record RunSummary
{
    /// <summary>Gets the object type.</summary>
    [JsonPropertyName("object")]
    public string Object { get; init; } = "localbatch.run";

    /// <summary>Gets the id of the batch that ran the whole file.</summary>
    [JsonPropertyName("batch_id")]
    public required string BatchId { get; init; }

    /// <summary>Gets the ids of the batches that retried its failed lines (<c>--retry-failed</c>), oldest first.</summary>
    [JsonPropertyName("retry_batch_ids")]
    public IReadOnlyList<string> RetryBatchIds { get; init; } = [];

    /// <summary>Gets the status of the batch that ran last: <c>completed</c>; <c>in_progress</c> when interrupted (resumable); <c>failed</c> when the input is invalid; <c>cancelled</c>.</summary>
    [JsonPropertyName("status")]
    public required string Status { get; init; }

    /// <summary>Gets the input file's full path.</summary>
    [JsonPropertyName("input_file")]
    public required string InputFile { get; init; }

    /// <summary>Gets the output file's full path.</summary>
    [JsonPropertyName("output_file")]
    public required string OutputFile { get; init; }

    /// <summary>Gets the error file's full path.</summary>
    [JsonPropertyName("error_file")]
    public required string ErrorFile { get; init; }

    /// <summary>Gets the file's requests: all of them, those answered with a 2xx, and those that failed (as in the files).</summary>
    [JsonPropertyName("request_counts")]
    public required BatchRequestCounts RequestCounts { get; init; }

    /// <summary>Gets the tokens used by the run and its retries together.</summary>
    [JsonPropertyName("usage")]
    public BatchUsage? Usage { get; init; }

    /// <summary>Gets the validation errors when the input is invalid, else <see langword="null"/>.</summary>
    [JsonPropertyName("errors")]
    public BatchErrors? Errors { get; init; }

    /// <summary>Gets what the failed lines failed on, the most frequent cause first (empty when none failed).</summary>
    [JsonPropertyName("failure_causes")]
    public IReadOnlyList<FailureCause> FailureCauses { get; init; } = [];

    /// <summary>Gets the seconds this command ran.</summary>
    [JsonPropertyName("elapsed_seconds")]
    public double ElapsedSeconds { get; init; }

    /// <summary>Gets the command's exit code.</summary>
    [JsonPropertyName("exit_code")]
    public int ExitCode { get; init; }

    /// <summary>The usage of several batches added up (<see langword="null"/> when none has any).</summary>
    public static BatchUsage? Sum(IEnumerable<BatchJob> batches)
    {
        BatchUsage? sum = null;
        foreach (var usage in batches.Select(static batch => batch.Usage).OfType<BatchUsage>())
        {
            sum = sum is null
                ? usage
                : new BatchUsage(sum.InputTokens + usage.InputTokens, sum.OutputTokens + usage.OutputTokens, sum.TotalTokens + usage.TotalTokens)
                {
                    InputTokensDetails = new(sum.InputTokensDetails.CachedTokens + usage.InputTokensDetails.CachedTokens),
                    OutputTokensDetails = new(sum.OutputTokensDetails.ReasoningTokens + usage.OutputTokensDetails.ReasoningTokens),
                };
        }

        return sum;
    }
}
