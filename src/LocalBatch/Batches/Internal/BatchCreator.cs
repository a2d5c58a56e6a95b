using LocalBatch.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Creates batches: checks the arguments, gives the batch its folder and run lock, and validates its input while
/// copying it into the store, then takes the answers it reuses from earlier batches (<see cref="BatchAnswerReuse"/>).
/// The batch is listed as <c>validating</c> meanwhile, and ends <c>failed</c> with every problem listed, or with
/// <c>validation_interrupted</c> when the reading stops midway.
/// </summary>
internal sealed class BatchCreator(BatchStore store, BatchJobManagerOptions options, TimeProvider time)
{
    private const int MaxMetadataPairs = 16;
    private const int MaxOwnerLength = 64;

    /// <summary>
    /// Creates the batch from <paramref name="input"/>. A valid input gives an <c>in_progress</c> batch whose run lock
    /// is still held, for the caller to start it; an invalid one gives a <c>failed</c> batch and no lock.
    /// </summary>
    public async Task<(BatchJob Job, FileStream? RunLock)> CreateAsync(Stream input, string? endpoint, BatchCreateOptions create, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var source in create.ReuseAnswersFrom ?? [])
        {
            if (!store.Exists(source))
            {
                throw new ArgumentException($"No batch '{source}' in the store {store.Root} to reuse answers from.", nameof(create));
            }
        }

        var now = time.GetUtcNow();
        var id = BatchStore.NewBatchId(now);
        Directory.CreateDirectory(store.DirectoryOf(id));

        // The batch is this manager's from the start: no other process may take it for a stale one while it validates.
        var runLock = store.TryLock(id) ?? throw new IOException($"Could not lock the new batch {id} in {store.Root}.");
        try
        {
            var job = new BatchJob
            {
                Id = id,
                Status = BatchStatus.Validating,
                Endpoint = endpoint ?? string.Empty,
                InputFileId = create.InputFileId ?? BatchFileIds.Input(id),
                CompletionWindow = create.CompletionWindow,
                CreatedAt = now.ToUnixTimeSeconds(),
                ExpiresAt = options.CompletionWindowDuration == Timeout.InfiniteTimeSpan ? null : (now + options.CompletionWindowDuration).ToUnixTimeSeconds(),
                Metadata = create.Metadata is null ? null : new Dictionary<string, string>(create.Metadata, StringComparer.Ordinal),
                Owner = create.Owner,
            };
            await store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);

            BatchInputValidator.Result validation;
            var reused = 0;
            try
            {
                validation = await ValidateAndStoreInputAsync(id, input, endpoint, create.MaxRequests ?? options.MaxLinesPerBatch, cancellationToken).ConfigureAwait(false);
                if (validation.Errors.Count == 0 && create.ReuseAnswersFrom is { Count: > 0 } sources)
                {
                    reused = await BatchAnswerReuse.CopyAsync(store, id, sources, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                // Cancelled, or the input or the disk failed: the stream cannot be read again, so the batch ends here.
                await store.WriteStateAsync(BatchTransitions.ValidationInterrupted(job, time.GetUtcNow()), CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            job = job with
            {
                Endpoint = validation.Endpoint ?? endpoint ?? BatchLineValidator.SupportedEndpoints[1],
                RequestCounts = new BatchRequestCounts(validation.LineCount, reused, 0) { Reused = reused },
            };
            var validated = time.GetUtcNow().ToUnixTimeSeconds();
            if (validation.Errors.Count > 0)
            {
                job = job with
                {
                    Status = BatchStatus.Failed,
                    FailedAt = validated,
                    Errors = new BatchErrors(validation.Errors),
                    RequestCounts = new BatchRequestCounts(0, 0, 0),
                };
                await store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);
                await runLock.DisposeAsync().ConfigureAwait(false);
                return (job, null);
            }

            // From here the batch exists whatever the token says: the token only cancels the reading of the input.
            job = job with { Status = BatchStatus.InProgress, InProgressAt = validated };
            await store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);
            return (job, runLock);
        }
        catch
        {
            await runLock.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Validates the input while copying it to the batch's folder (atomically: a temporary file, then a rename).</summary>
    private async Task<BatchInputValidator.Result> ValidateAndStoreInputAsync(string id, Stream input, string? endpoint, int maxLines, CancellationToken cancellationToken)
    {
        var inputPath = store.InputPath(id);
        var temp = store.PartialInputPath(id);
        BatchInputValidator.Result validation;
        try
        {
            var copy = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            await using (copy.ConfigureAwait(false))
            {
                validation = await BatchInputValidator.ValidateAndCopyAsync(input, copy, endpoint, maxLines, options.MaxLineBytes, cancellationToken).ConfigureAwait(false);
                copy.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex)
        {
            File.Delete(temp); // a partial copy, as large as the input read so far, of a batch that will never run
            if (FileTooLarge.Is(ex))
            {
                throw FileTooLarge.ToIOException(inputPath);
            }

            throw;
        }

        File.Move(temp, inputPath, overwrite: true);
        return validation;
    }

    /// <summary>Checks what the caller asked for; a problem here is an argument error, not a failed batch.</summary>
    public static void ValidateArguments(string? endpoint, BatchCreateOptions options)
    {
        if (endpoint is not null && !BatchLineValidator.SupportedEndpoints.Contains(endpoint, StringComparer.Ordinal))
        {
            throw new ArgumentException($"The endpoint '{endpoint}' is not supported; use one of {string.Join(", ", BatchLineValidator.SupportedEndpoints)}.", nameof(endpoint));
        }

        if (options.CompletionWindow != "24h")
        {
            throw new ArgumentException($"The completion window must be \"24h\"; got \"{options.CompletionWindow}\".", nameof(options));
        }

        if (options.MaxRequests is < 1)
        {
            throw new ArgumentException($"MaxRequests must be at least 1, or null for the manager's limit; got {options.MaxRequests}.", nameof(options));
        }

        if (options.InputFileId is { } fileId && (fileId.Length is 0 or > 128 || !fileId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new ArgumentException($"The input file id '{fileId}' must have 1 to 128 letters, digits, '-' or '_'.", nameof(options));
        }

        foreach (var source in options.ReuseAnswersFrom ?? [])
        {
            if (!BatchStore.IsValidId(source))
            {
                throw new ArgumentException($"'{source}' in ReuseAnswersFrom is not a batch id (batch_ followed by letters and digits).", nameof(options));
            }
        }

        if (options.Owner is { } owner && (owner.Length is 0 or > MaxOwnerLength || owner.Any(char.IsControl)))
        {
            throw new ArgumentException($"The owner must have 1 to {MaxOwnerLength} characters and no control characters.", nameof(options));
        }

        if (options.Metadata is { } metadata)
        {
            if (metadata.Count > MaxMetadataPairs)
            {
                throw new ArgumentException($"Metadata may have at most {MaxMetadataPairs} pairs; got {metadata.Count}.", nameof(options));
            }

            foreach (var (key, value) in metadata)
            {
                if (key.Length is 0 or > 64 || value is null || value.Length > 512)
                {
                    throw new ArgumentException($"Metadata key '{key}' must have 1 to 64 characters and its value at most 512.", nameof(options));
                }
            }
        }
    }
}
