using LocalBatch.Batches.Internal;

namespace LocalBatch.Batches;

// Reading a batch's results and retrying its failed requests.
public sealed partial class BatchJobManager
{
    /// <summary>
    /// Streams the lines of a batch's output file (the 2xx answers), as written so far: in the order the requests
    /// finished, not the input's, as OpenAI's are; match them to the input by <c>custom_id</c>.
    /// </summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The output lines.</returns>
    public IAsyncEnumerable<BatchResultLine> GetResultsAsync(string batchId, CancellationToken cancellationToken = default) =>
        BatchResultFile.ReadLinesAsync(_store.OutputPath(batchId), cancellationToken);

    /// <summary>Streams the lines of a batch's error file (every request without a 2xx answer), as written so far.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The error lines.</returns>
    public IAsyncEnumerable<BatchResultLine> GetErrorsAsync(string batchId, CancellationToken cancellationToken = default) =>
        BatchResultFile.ReadLinesAsync(_store.ErrorPath(batchId), cancellationToken);

    /// <summary>Gets the path of one of a batch's stored files.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="kind">Which file.</param>
    /// <returns>The full path (the file may not exist yet: an output or error file appears with its first line).</returns>
    /// <exception cref="ArgumentException">The id is not a batch id, or the kind is not defined.</exception>
    public string GetFilePath(string batchId, BatchFileKind kind) => kind switch
    {
        BatchFileKind.Input => _store.InputPath(batchId),
        BatchFileKind.Output => _store.OutputPath(batchId),
        BatchFileKind.Errors => _store.ErrorPath(batchId),
        _ => throw new ArgumentException($"Unknown file kind {kind}.", nameof(kind)),
    };

    /// <summary>Creates a new batch from the input lines of every request that failed in a finished batch.</summary>
    /// <param name="batchId">The finished batch.</param>
    /// <param name="options">The new batch's settings; its metadata gets <c>retry_of</c>.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The new batch.</returns>
    /// <exception cref="InvalidOperationException">The batch has not ended, or nothing in it failed.</exception>
    public Task<BatchJob> RetryFailedAsync(string batchId, BatchCreateOptions? options = null, CancellationToken cancellationToken = default) =>
        RetryFailedAsync(batchId, static _ => true, options, cancellationToken);

    /// <summary>
    /// Creates a new batch from the input lines of the requests that failed in a finished batch and that
    /// <paramref name="filter"/> selects, such as <c>line =&gt; line.IsRetryable</c> to leave out what the server refused for itself.
    /// </summary>
    /// <param name="batchId">The finished batch.</param>
    /// <param name="filter">Called with each line of the batch's error file; <see langword="true"/> to send that request again.</param>
    /// <param name="options">The new batch's settings; its metadata gets <c>retry_of</c>.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The new batch.</returns>
    /// <exception cref="InvalidOperationException">The batch has not ended, or the filter selected none of its failed requests.</exception>
    public async Task<BatchJob> RetryFailedAsync(string batchId, Func<BatchResultLine, bool> filter, BatchCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var job = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (!job.IsTerminal || job.Status == BatchStatus.Failed)
        {
            throw new InvalidOperationException($"Batch '{batchId}' is {job.Status.ToWireName()}; only a completed, cancelled or expired batch's failed requests can be retried.");
        }

        var failed = new CustomIdSet();
        var anyFailed = false;
        await foreach (var line in GetErrorsAsync(batchId, cancellationToken).ConfigureAwait(false))
        {
            anyFailed = true;
            if (filter(line))
            {
                failed.Add(line.CustomId);
            }
        }

        if (failed.Count == 0)
        {
            throw new InvalidOperationException(anyFailed
                ? $"None of batch '{batchId}''s failed requests is selected for a retry."
                : $"Batch '{batchId}' has no failed requests to retry.");
        }

        failed.Seal();

        var metadata = new Dictionary<string, string>(options?.Metadata ?? job.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["retry_of"] = batchId,
        };
        var retryInput = Path.Combine(_store.DirectoryOf(batchId), $"retry-{Guid.NewGuid():N}.jsonl");
        var writer = new FileStream(retryInput, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        await using (writer.ConfigureAwait(false))
        {
            // Byte for byte: the failed lines are copied as they were stored, never decoded to text and back.
            var input = new FileStream(_store.InputPath(batchId), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            await using var inputScope = input.ConfigureAwait(false);
            var reader = new JsonlLineReader(input, Array.MaxLength, skipByteOrderMark: false);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.Length > 0 && failed.Contains(BatchInputValidator.ParseStoredLine(reader.Line, index: 0).CustomId))
                {
                    await writer.WriteAsync(reader.Line, cancellationToken).ConfigureAwait(false);
                    writer.WriteByte((byte)'\n');
                }
            }
        }

        try
        {
            return await CreateFromFileAsync(retryInput, job.Endpoint, (options ?? new BatchCreateOptions()) with { Metadata = metadata }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(retryInput);
        }
    }
}
