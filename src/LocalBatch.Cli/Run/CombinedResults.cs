using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <summary>
/// Writes a file's results when it has retries: every success of the original and of each retry to the output file, and
/// to the error file each failure that no later retry answered, so that each <c>custom_id</c> is in exactly one of them
/// once (a request is retried only while its latest answer is a failure). Both files are written whole through temporary
/// files, byte for byte as the store holds the lines.
/// </summary>
internal static class CombinedResults
{
    /// <summary>Writes the combined output file: every success of the original and of each retry.</summary>
    /// <returns>The lines written.</returns>
    /// <exception cref="OperationCanceledException">Interrupted; the file stays as it was.</exception>
    public static int PublishOutput(BatchJobManager manager, FileRun run, string outputPath, PublishOptions options, CancellationToken cancellationToken)
    {
        BatchJob[] batches = [run.Original, .. run.Retries];
        var completed = 0;
        ResultFilePublisher.WriteThroughTemporaryFile(outputPath, output =>
        {
            foreach (var batch in batches)
            {
                completed += Copy(JsonlLines.Read(manager.GetFilePath(batch.Id, BatchFileKind.Output)), output, options, cancellationToken);
            }
        });

        return completed;
    }

    /// <summary>Writes the combined error file: each failure that no later retry answered.</summary>
    /// <returns>The lines written.</returns>
    /// <exception cref="OperationCanceledException">Interrupted; the file stays as it was.</exception>
    public static int PublishErrors(BatchJobManager manager, FileRun run, RetryLedger ledger, string errorPath, PublishOptions options, CancellationToken cancellationToken)
    {
        BatchJob[] batches = [run.Original, .. run.Retries];
        var failed = 0;
        ResultFilePublisher.WriteThroughTemporaryFile(errorPath, errors =>
        {
            for (var i = 0; i < batches.Length; i++)
            {
                var number = i;
                var latest = JsonlLines.Read(manager.GetFilePath(batches[i].Id, BatchFileKind.Errors))
                    .Where(line => ledger.IsLatest(JsonlLines.CustomIdOf(line.Span), number));
                failed += Copy(latest, errors, options, cancellationToken);
            }
        });

        return failed;
    }

    private static int Copy(IEnumerable<ReadOnlyMemory<byte>> lines, Stream destination, PublishOptions options, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var line in lines)
        {
            options.BeforeChunk?.Invoke(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            destination.Write(line.Span);
            destination.WriteByte((byte)'\n');
            count++;
        }

        return count;
    }
}
