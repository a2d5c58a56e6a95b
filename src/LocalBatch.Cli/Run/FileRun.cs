using System.Globalization;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <summary>
/// A batch file's last run in a store: the newest batch <c>localbatch run</c> made from the file (as it is now, path and
/// contents alike, or as it was), and the retries <c>--retry-failed</c> made of it, oldest first. Their results together
/// are the file's results: every success of any of them, and each failure that no later retry answered.
/// </summary>
/// <param name="Original">The run of the whole file.</param>
/// <param name="Retries">Its retries, oldest first; each holds only lines that had failed before it.</param>
internal sealed record FileRun(BatchJob Original, IReadOnlyList<BatchJob> Retries)
{
    /// <summary>The metadata key naming the input file (its last 512 characters).</summary>
    public const string SourceKey = "localbatch_source";

    /// <summary>The metadata key holding the input file's SHA-256.</summary>
    public const string HashKey = "localbatch_sha256";

    /// <summary>The metadata key numbering a retry made by <c>--retry-failed</c> (1, 2, …).</summary>
    public const string RetryKey = "localbatch_retry";

    /// <summary>The metadata key <see cref="BatchJobManager.RetryFailedAsync(string, BatchCreateOptions?, CancellationToken)"/> sets.</summary>
    public const string RetryOfKey = "retry_of";

    /// <summary>Gets the ids of its batches, the original first: where a new run of the file takes the answers it reuses.</summary>
    public IReadOnlyList<string> BatchIds => [Original.Id, .. Retries.Select(static retry => retry.Id)];

    /// <summary>Gets the batch that runs now or ran last: the newest retry, else the original.</summary>
    public BatchJob Latest => Retries.Count > 0 ? Retries[^1] : Original;

    /// <summary>The same run with its latest batch (the newest retry, else the original) as <paramref name="job"/> now stands.</summary>
    public FileRun WithLatest(BatchJob job) =>
        Retries.Count > 0 ? this with { Retries = [.. Retries.Take(Retries.Count - 1), job] } : this with { Original = job };

    /// <summary>The metadata of a run of the file at <paramref name="source"/> with contents <paramref name="hash"/>.</summary>
    public static Dictionary<string, string> MetadataFor(string source, string hash) =>
        new(StringComparer.Ordinal) { [SourceKey] = Tail(source, 512), [HashKey] = hash };

    /// <summary>The metadata of the file's retry number <paramref name="number"/> of <paramref name="original"/>.</summary>
    public static Dictionary<string, string> RetryMetadataFor(BatchJob original, int number)
    {
        var metadata = new Dictionary<string, string>(original.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [RetryKey] = number.ToString(CultureInfo.InvariantCulture),
        };
        return metadata;
    }

    /// <summary>
    /// Finds the file's runs: its last run as it is now (<paramref name="hash"/>), and its last run whatever its contents
    /// were then, whose answers a new run of it may reuse (not one that failed validation: that one answered nothing).
    /// </summary>
    /// <returns>Each, or <see langword="null"/> when the store has none.</returns>
    public static async Task<(FileRun? Current, FileRun? Latest)> FindAsync(BatchJobManager manager, string source, string hash, CancellationToken cancellationToken)
    {
        var label = MetadataFor(source, hash);
        BatchJob? current = null;
        BatchJob? latest = null;
        var retries = new List<(int Number, BatchJob Job)>();
        // Every batch is looked at: a retry made in the same second as its original may be listed after it.
        await foreach (var job in manager.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (job.Metadata is not { } metadata || !metadata.TryGetValue(SourceKey, out var jobSource) || jobSource != label[SourceKey])
            {
                continue;
            }

            if (!metadata.ContainsKey(RetryOfKey))
            {
                // The list is newest first: the first run found is the last one made.
                if (metadata.TryGetValue(HashKey, out var jobHash) && jobHash == label[HashKey])
                {
                    current ??= job;
                }

                if (job.Status != BatchStatus.Failed)
                {
                    latest ??= job;
                }

                continue;
            }

            // A retry made by the library's RetryFailedAsync alone (no number) holds lines of a run, not the file's results.
            if (metadata.TryGetValue(RetryKey, out var number) && int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                retries.Add((n, job));
            }
        }

        return (With(current), With(latest));

        FileRun? With(BatchJob? original) => original is null
            ? null
            : new FileRun(original, [.. retries.Where(retry => retry.Job.Metadata![RetryOfKey] == original.Id).OrderBy(retry => retry.Number).Select(retry => retry.Job)]);
    }

    private static string Tail(string value, int length) => value.Length <= length ? value : value[^length..];
}
