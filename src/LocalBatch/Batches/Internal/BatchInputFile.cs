using System.Collections;
using System.Runtime.CompilerServices;

namespace LocalBatch.Batches.Internal;

/// <summary>Reads a batch's stored (already validated) input, one request a line, each with its place among the requests.</summary>
internal static class BatchInputFile
{
    /// <exception cref="InvalidDataException">The stored input has more requests than the batch's state records.</exception>
    public static IAsyncEnumerable<BatchInputLine> ReadRequestsAsync(BatchStore store, BatchJob job, CancellationToken cancellationToken) =>
        ReadAsync(store, job, marks: null, marked: true, cancellationToken);

    /// <summary>The requests that have no line yet in the output or error file.</summary>
    public static IAsyncEnumerable<BatchInputLine> ReadUnansweredAsync(BatchStore store, BatchJob job, BitArray answered, CancellationToken cancellationToken) =>
        ReadAsync(store, job, answered, marked: false, cancellationToken);

    /// <summary>The requests whose bit is set in <paramref name="marks"/>.</summary>
    public static IAsyncEnumerable<BatchInputLine> ReadMarkedAsync(BatchStore store, BatchJob job, BitArray marks, CancellationToken cancellationToken) =>
        ReadAsync(store, job, marks, marked: true, cancellationToken);

    // marks: which requests to read (those whose bit is `marked`), all when null; the others are counted, not parsed.
    private static async IAsyncEnumerable<BatchInputLine> ReadAsync(BatchStore store, BatchJob job, BitArray? marks, bool marked, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var total = job.RequestCounts.Total;
        // Read as bytes (never decoded to text and back), one line kept at a time: the copy's lines passed validation.
        var stream = new FileStream(store.InputPath(job.Id), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        await using var streamScope = stream.ConfigureAwait(false);
        var reader = new JsonlLineReader(stream, Array.MaxLength, skipByteOrderMark: false);
        var index = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.Length == 0)
            {
                continue;
            }

            if (index == total)
            {
                throw new InvalidDataException($"The stored input of batch '{job.Id}' has more than the {total} requests its state records.");
            }

            var current = index++;
            if (marks is null || marks[current] == marked)
            {
                yield return BatchInputValidator.ParseStoredLine(reader.Line, current);
            }
        }
    }
}
