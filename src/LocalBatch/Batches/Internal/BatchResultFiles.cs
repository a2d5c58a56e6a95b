using System.Collections;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// The output and error files of one run of a batch, opened together: what earlier runs wrote is counted and marked
/// as answered (one bit a request, by its place in the input), and each new outcome goes to the file it belongs to.
/// </summary>
internal sealed class BatchResultFiles : IAsyncDisposable
{
    private readonly BatchResultFile _output;
    private readonly BatchResultFile _errors;

    private BatchResultFiles(BatchResultFile output, BatchResultFile errors, BitArray answered, int completed, int failed)
    {
        _output = output;
        _errors = errors;
        Answered = answered;
        Completed = completed;
        Failed = failed;
    }

    /// <summary>Gets one bit a request, set when the request has its line in either file.</summary>
    public BitArray Answered { get; }

    /// <summary>Gets the count of output lines found when the files were opened.</summary>
    public int Completed { get; }

    /// <summary>Gets the count of error lines found when the files were opened.</summary>
    public int Failed { get; }

    public bool HasOutput => _output.LineCount > 0;

    public bool HasErrors => _errors.LineCount > 0;

    /// <summary>
    /// Opens both files (cutting a torn last line), hands each output line already there to <paramref name="earlierOutput"/>,
    /// and marks the requests they answer; the ids read are forgotten once marked.
    /// </summary>
    public static async Task<BatchResultFiles> OpenAsync(BatchStore store, BatchJob job, Action<BatchResultLine> earlierOutput)
    {
        var earlier = new CustomIdSet();
        var completed = 0;
        var failed = 0;
        var output = await BatchResultFile.OpenAsync(store.OutputPath(job.Id), line => { earlier.Add(line.CustomId); completed++; earlierOutput(line); }, CancellationToken.None).ConfigureAwait(false);
        BatchResultFile? errors = null;
        try
        {
            errors = await BatchResultFile.OpenAsync(store.ErrorPath(job.Id), line => { earlier.Add(line.CustomId); failed++; }, CancellationToken.None).ConfigureAwait(false);
            var answered = new BitArray(job.RequestCounts.Total);
            if (earlier.Count > 0)
            {
                earlier.Seal();
                await foreach (var line in BatchInputFile.ReadRequestsAsync(store, job, CancellationToken.None).ConfigureAwait(false))
                {
                    answered[line.Index] = earlier.Contains(line.CustomId);
                }
            }

            return new BatchResultFiles(output, errors, answered, completed, failed);
        }
        catch
        {
            if (errors is not null)
            {
                await errors.DisposeAsync().ConfigureAwait(false);
            }

            await output.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Appends a request's line to the output file (a 2xx answer) or the error file, and marks it answered.</summary>
    /// <returns><see langword="true"/> when it went to the output file.</returns>
    public bool Append(int index, BatchResultLine line)
    {
        var success = line.IsSuccess;
        (success ? _output : _errors).Append(line);
        Answered[index] = true;
        return success;
    }

    /// <summary>Appends the line of a request that never ran (cancelled or expired) to the error file.</summary>
    public void AppendUnrun(BatchResultLine line) => _errors.Append(line);

    /// <summary>Forces both files onto the disk.</summary>
    public void FlushToDisk()
    {
        _output.FlushToDisk();
        _errors.FlushToDisk();
    }

    public async ValueTask DisposeAsync()
    {
        await _errors.DisposeAsync().ConfigureAwait(false);
        await _output.DisposeAsync().ConfigureAwait(false);
    }
}
