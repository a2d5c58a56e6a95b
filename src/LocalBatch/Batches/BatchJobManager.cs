using System.Collections.Concurrent;
using LocalBatch.Internal;
using LocalBatch.Internal.Batches;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch.Batches;

/// <summary>
/// The OpenAI Batch API, run locally against a llama.cpp server: create, list, retrieve and cancel batches
/// and read their results, in OpenAI's object and JSONL formats, with state and results on disk.
/// </summary>
/// <remarks>
/// <para>
/// Every batch lives in its own folder of <see cref="BatchJobManagerOptions.StoreDirectory"/>. Results are
/// appended as requests finish; state changes are written atomically. After a crash or kill at any moment, a
/// new manager on the same store resumes unfinished batches: a torn last line is repaired, every
/// <c>custom_id</c> already answered is skipped, and the rest run — none is lost or answered twice.
/// </para>
/// <para>Disposing the manager stops its running batches without cancelling them: they resume next time.</para>
/// </remarks>
public sealed class BatchJobManager : IAsyncDisposable
{
    private const int MaxMetadataPairs = 16;

    private readonly LocalBatchProcessor _processor;
    private readonly BatchJobManagerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BatchStore _store;
    private readonly ConcurrentDictionary<string, BatchRunner> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private bool _started;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="BatchJobManager"/> class.</summary>
    /// <param name="processor">The processor that sends the requests (its concurrency bound applies).</param>
    /// <param name="options">Where the store is and its limits; the defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where resumes and failures are logged.</param>
    /// <param name="timeProvider">The clock for timestamps and expiry; <see cref="TimeProvider.System"/> by default.</param>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public BatchJobManager(LocalBatchProcessor processor, BatchJobManagerOptions? options = null, ILogger<BatchJobManager>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(processor);
        _processor = processor;
        _options = options ?? new BatchJobManagerOptions();
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(_options.StoreDirectory))
        {
            problems.Add("StoreDirectory is required.");
        }

        if (_options.MaxLinesPerBatch < 1)
        {
            problems.Add($"MaxLinesPerBatch must be at least 1; got {_options.MaxLinesPerBatch}.");
        }

        if (_options.CompletionWindowDuration != Timeout.InfiniteTimeSpan
            && (_options.CompletionWindowDuration <= TimeSpan.Zero || _options.CompletionWindowDuration > BatchJobManagerOptions.MaxCompletionWindowDuration))
        {
            problems.Add($"CompletionWindowDuration must be positive and at most {BatchJobManagerOptions.MaxCompletionWindowDuration.TotalDays} days, or Timeout.InfiniteTimeSpan for no expiry; got {_options.CompletionWindowDuration}.");
        }

        if (_options.ProgressInterval < TimeSpan.FromMilliseconds(1) || _options.ProgressInterval > BatchJobManagerOptions.MaxCompletionWindowDuration)
        {
            problems.Add($"ProgressInterval must be from 1 ms to {BatchJobManagerOptions.MaxCompletionWindowDuration.TotalDays} days; got {_options.ProgressInterval}.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("BatchJobManagerOptions are not valid: " + string.Join(" ", problems), nameof(options));
        }

        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _store = new BatchStore(_options.StoreDirectory);
    }

    /// <summary>Gets the full path of the store directory.</summary>
    public string StoreDirectory => _store.Root;

    /// <summary>
    /// Validates an input JSONL stream, stores it, and starts the batch. An input with problems gives a batch in
    /// status <see cref="BatchStatus.Failed"/> whose <see cref="BatchJob.Errors"/> lists every one, and sends nothing.
    /// </summary>
    /// <remarks>
    /// The batch is listed as <see cref="BatchStatus.Validating"/> while its input is read. When the call is cancelled,
    /// or the input or the disk fails meanwhile, it ends <see cref="BatchStatus.Failed"/> with the error
    /// <c>validation_interrupted</c> (so does one whose process stopped, when the store is next resumed).
    /// </remarks>
    /// <param name="input">The JSONL input, one request a line.</param>
    /// <param name="endpoint">The endpoint of every line; <see langword="null"/> takes it from the first line.</param>
    /// <param name="options">The completion window and metadata.</param>
    /// <param name="cancellationToken">Cancels the creation while the input is read (not the batch once it runs).</param>
    /// <returns>The new batch: <see cref="BatchStatus.InProgress"/>, or <see cref="BatchStatus.Failed"/> with its errors.</returns>
    /// <exception cref="ArgumentException">The endpoint, completion window or metadata is not valid.</exception>
    public async Task<BatchJob> CreateAsync(Stream input, string? endpoint = null, BatchCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new BatchCreateOptions();
        ValidateArguments(endpoint, options);
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);

        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var id = BatchStore.NewBatchId(now);
        Directory.CreateDirectory(_store.DirectoryOf(id));

        // The batch is this manager's from the start: no other process may take it for a stale one while it validates.
        var runLock = _store.TryLock(id) ?? throw new IOException($"Could not lock the new batch {id} in {_store.Root}.");
        try
        {
            var job = new BatchJob
            {
                Id = id,
                Status = BatchStatus.Validating,
                Endpoint = endpoint ?? string.Empty,
                InputFileId = BatchFileIds.Input(id),
                CompletionWindow = options.CompletionWindow,
                CreatedAt = now.ToUnixTimeSeconds(),
                ExpiresAt = _options.CompletionWindowDuration == Timeout.InfiniteTimeSpan ? null : (now + _options.CompletionWindowDuration).ToUnixTimeSeconds(),
                Metadata = options.Metadata is null ? null : new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal),
            };
            await _store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);

            BatchInputValidator.Result validation;
            try
            {
                validation = await ValidateAndStoreInputAsync(id, input, endpoint, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Cancelled, or the input or the disk failed: the stream cannot be read again, so the batch ends here.
                await _store.WriteStateAsync(FailedAsInterrupted(job), CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            job = job with
            {
                Endpoint = validation.Endpoint ?? endpoint ?? BatchInputValidator.SupportedEndpoints[1],
                RequestCounts = new BatchRequestCounts(validation.LineCount, 0, 0),
            };
            var validated = _time.GetUtcNow().ToUnixTimeSeconds();
            if (validation.Errors.Count > 0)
            {
                job = job with
                {
                    Status = BatchStatus.Failed,
                    FailedAt = validated,
                    Errors = new BatchErrors(validation.Errors),
                    RequestCounts = new BatchRequestCounts(0, 0, 0),
                };
                await _store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);
                await runLock.DisposeAsync().ConfigureAwait(false);
                return job;
            }

            // From here the batch exists whatever the token says: the token only cancels the reading of the input.
            job = job with { Status = BatchStatus.InProgress, InProgressAt = validated };
            await _store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);
            return await TryRunAsync(id, runLock).ConfigureAwait(false) ?? job;
        }
        catch
        {
            await runLock.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a batch from a JSONL file.</summary>
    /// <param name="path">The input file.</param>
    /// <param name="endpoint">The endpoint of every line; <see langword="null"/> takes it from the first line.</param>
    /// <param name="options">The completion window and metadata.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The new batch.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public async Task<BatchJob> CreateFromFileAsync(string path, string? endpoint = null, BatchCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return await CreateAsync(stream, endpoint, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gets a batch's current state.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The batch.</returns>
    /// <exception cref="ArgumentException">The id is not a batch id.</exception>
    /// <exception cref="KeyNotFoundException">No such batch in the store.</exception>
    /// <exception cref="InvalidDataException">The batch's state file is damaged.</exception>
    public async Task<BatchJob> RetrieveAsync(string batchId, CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        _ = _store.DirectoryOf(batchId);
        return await ReadCurrentAsync(batchId, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"No batch '{batchId}' in the store {_store.Root}.");
    }

    /// <summary>Lists batches, newest first, a page at a time.</summary>
    /// <param name="after">The last id of the previous page, or <see langword="null"/> for the first page.</param>
    /// <param name="limit">The page size, 1 to 100.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not between 1 and 100.</exception>
    public async Task<BatchPage> ListAsync(string? after = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 100);
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        var all = new List<BatchJob>();
        foreach (var id in _store.ListIds())
        {
            if (await TryRetrieveAsync(id, cancellationToken).ConfigureAwait(false) is { } job)
            {
                all.Add(job);
            }
        }

        // Newest first; ids break ties between batches created in the same second.
        all.Sort(static (a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : string.CompareOrdinal(b.Id, a.Id));
        var start = 0;
        if (after is not null)
        {
            var position = all.FindIndex(job => job.Id == after);
            start = position < 0 ? all.Count : position + 1;
        }

        var page = all.Skip(start).Take(limit).ToList();
        return new BatchPage(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, start + page.Count < all.Count);
    }

    /// <summary>
    /// Cancels a batch: no new requests start, in-flight ones are aborted, finished results are kept, and every
    /// request that did not run is recorded in the error file with code <c>batch_cancelled</c>.
    /// </summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Cancels the wait for the batch to reach <see cref="BatchStatus.Cancelled"/>.</param>
    /// <returns>The batch, <see cref="BatchStatus.Cancelling"/> or already <see cref="BatchStatus.Cancelled"/>.</returns>
    /// <exception cref="InvalidOperationException">The batch has already ended.</exception>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    public async Task<BatchJob> CancelAsync(string batchId, CancellationToken cancellationToken = default)
    {
        var job = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (job.IsTerminal)
        {
            throw new InvalidOperationException($"Batch '{batchId}' is already {BatchStatusNames.Of(job.Status)} and cannot be cancelled.");
        }

        // The marker file is the request, on disk: a runner in another process sees it within a second, and a batch
        // whose process is killed before it records the cancellation still ends cancelled when resumed.
        await File.WriteAllTextAsync(_store.CancelRequestPath(batchId), string.Empty, cancellationToken).ConfigureAwait(false);
        if (_running.TryGetValue(batchId, out var runner))
        {
            runner.RequestStop(BatchStopReason.Cancel);
            return runner.Current;
        }

        // Not running here: another process runs it, or nobody does (run it here, and the runner finds the marker as
        // it starts). Only the runner writes the cancelling state: a write here would race its writes.
        return await TryRunAsync(batchId).ConfigureAwait(false)
            ?? job with { Status = BatchStatus.Cancelling, CancellingAt = job.CancellingAt ?? _time.GetUtcNow().ToUnixTimeSeconds() };
    }

    /// <summary>Waits until a batch reaches an end state (completed, failed, expired or cancelled).</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Stops waiting (the batch goes on).</param>
    /// <returns>The final batch.</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="OperationCanceledException">Waiting was cancelled, or the manager stopped while the batch ran (it resumes next time).</exception>
    /// <exception cref="LocalGatewayException">The server stayed unreachable past every retry: the run stopped, the batch is still in progress.</exception>
    /// <exception cref="IOException">The run stopped on a file error (such as a full disk, or a damaged result file: <see cref="InvalidDataException"/>).</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public Task<BatchJob> WaitAsync(string batchId, CancellationToken cancellationToken = default) =>
        WaitAsync(batchId, progress: null, cancellationToken);

    /// <summary>
    /// Waits until a batch reaches an end state, reporting its progress every
    /// <see cref="BatchJobManagerOptions.ProgressInterval"/> and once more at the end.
    /// </summary>
    /// <remarks>
    /// A batch that no process runs any more (its process stopped, or its run stopped on an error) is resumed by this
    /// manager and waited for here; one that another process runs is looked at every
    /// <see cref="BatchJobManagerOptions.ProgressInterval"/>.
    /// </remarks>
    /// <param name="batchId">The batch id.</param>
    /// <param name="progress">
    /// Receives the progress: live counts, rate, tokens and ETA while this manager runs the batch; the counts of its
    /// saved state when another process runs it. Reports come one at a time, from the waiting call.
    /// </param>
    /// <param name="cancellationToken">Stops waiting (the batch goes on).</param>
    /// <returns>The final batch.</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="OperationCanceledException">Waiting was cancelled, or the manager stopped while the batch ran (it resumes next time).</exception>
    /// <exception cref="LocalGatewayException">The server stayed unreachable past every retry: the run stopped, the batch is still in progress.</exception>
    /// <exception cref="IOException">The run stopped on a file error (such as a full disk, or a damaged result file: <see cref="InvalidDataException"/>).</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public async Task<BatchJob> WaitAsync(string batchId, IProgress<BatchProgress>? progress, CancellationToken cancellationToken = default)
    {
        using var ticks = new PeriodicTimer(_options.ProgressInterval, _time);
        while (true)
        {
            var job = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
            BatchRunner? runner = null;
            if (!job.IsTerminal && !_running.TryGetValue(batchId, out runner))
            {
                // Not running here: another process runs it (look again at the next tick), or nobody does any more
                // (its process stopped): then this manager resumes it rather than wait for ever.
                var (current, started) = await TryStartAsync(batchId, heldLock: null, quiet: true).ConfigureAwait(false);
                (job, runner) = (current ?? job, started);
            }

            if (runner is not null)
            {
                var final = await WaitForRunnerAsync(runner, ticks, progress, cancellationToken).ConfigureAwait(false);
                return final.IsTerminal ? final : throw ManagerStopped(batchId);
            }

            progress?.Report(ProgressOf(job));
            if (job.IsTerminal)
            {
                return job;
            }

            await ticks.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<BatchJob> WaitForRunnerAsync(BatchRunner runner, PeriodicTimer ticks, IProgress<BatchProgress>? progress, CancellationToken cancellationToken)
    {
        var completion = runner.Completion;
        if (progress is null)
        {
            return await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        while (!completion.IsCompleted)
        {
            progress.Report(runner.Progress());
            var tick = ticks.WaitForNextTickAsync(cancellationToken).AsTask();
            await Task.WhenAny(completion, tick).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var final = await completion.ConfigureAwait(false);
        progress.Report(runner.Progress());
        return final;
    }

    /// <summary>Reads a batch for a listing or a resume: one whose state cannot be read is logged and skipped, not fatal to the others.</summary>
    private async Task<BatchJob?> TryRetrieveAsync(string batchId, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadCurrentAsync(batchId, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            Log.BatchStateUnreadable(_logger, batchId, ex);
            return null;
        }
    }

    /// <summary>A batch as it stands: live from its runner when this manager runs it, else from its saved state.</summary>
    private async Task<BatchJob?> ReadCurrentAsync(string batchId, CancellationToken cancellationToken) =>
        _running.TryGetValue(batchId, out var runner)
            ? runner.Current
            : await _store.ReadStateAsync(batchId, cancellationToken).ConfigureAwait(false);

    private static OperationCanceledException ManagerStopped(string batchId) =>
        new($"The manager stopped while batch '{batchId}' was running; it resumes when a manager opens the store again.");

    private static BatchProgress ProgressOf(BatchJob job) => new()
    {
        Total = job.RequestCounts.Total,
        Completed = job.RequestCounts.Completed + job.RequestCounts.Failed,
        Failed = job.RequestCounts.Failed,
        PromptTokens = job.Usage?.InputTokens ?? 0,
        CompletionTokens = job.Usage?.OutputTokens ?? 0,
    };

    /// <summary>Gets the live progress of a batch running in this manager, or <see langword="null"/> when it is not running here.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns>Totals, counts, rate and ETA.</returns>
    public BatchProgress? GetProgress(string batchId) =>
        _running.TryGetValue(batchId, out var runner) ? runner.Progress() : null;

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

    /// <summary>Gets the path of a batch's stored file: <c>input</c>, <c>output</c> or <c>errors</c>.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="kind">Which file.</param>
    /// <returns>The full path (the file may not exist yet).</returns>
    /// <exception cref="ArgumentException">The id or kind is not valid.</exception>
    public string GetFilePath(string batchId, string kind) => kind switch
    {
        "input" => _store.InputPath(batchId),
        "output" => _store.OutputPath(batchId),
        "errors" => _store.ErrorPath(batchId),
        _ => throw new ArgumentException($"Unknown file kind '{kind}'; use input, output or errors.", nameof(kind)),
    };

    /// <summary>Creates a new batch from the input lines of every request that failed in a finished batch.</summary>
    /// <param name="batchId">The finished batch.</param>
    /// <param name="options">The new batch's settings; its metadata gets <c>retry_of</c>.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The new batch.</returns>
    /// <exception cref="InvalidOperationException">The batch has not ended, or nothing in it failed.</exception>
    public async Task<BatchJob> RetryFailedAsync(string batchId, BatchCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        var job = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (!job.IsTerminal || job.Status == BatchStatus.Failed)
        {
            throw new InvalidOperationException($"Batch '{batchId}' is {BatchStatusNames.Of(job.Status)}; only a completed, cancelled or expired batch's failed requests can be retried.");
        }

        var failed = new CustomIdSet();
        await foreach (var line in GetErrorsAsync(batchId, cancellationToken).ConfigureAwait(false))
        {
            failed.Add(line.CustomId);
        }

        if (failed.Count == 0)
        {
            throw new InvalidOperationException($"Batch '{batchId}' has no failed requests to retry.");
        }

        failed.Seal();

        var metadata = new Dictionary<string, string>(options?.Metadata ?? job.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["retry_of"] = batchId,
        };
        var retryInput = Path.Combine(_store.DirectoryOf(batchId), $"retry-{Guid.NewGuid():N}.jsonl");
        var writer = new StreamWriter(retryInput, append: false) { NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            using var reader = new StreamReader(_store.InputPath(batchId));
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
            {
                if (!string.IsNullOrWhiteSpace(text) && failed.Contains(BatchInputValidator.ParseStoredLine(text, index: 0).CustomId))
                {
                    await writer.WriteLineAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Resumes the unfinished batches of the store that no other process is running. Called once by the first
    /// operation when <see cref="BatchJobManagerOptions.ResumeOnStart"/> is set; safe to call again.
    /// </summary>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The batches resumed.</returns>
    public async Task<IReadOnlyList<BatchJob>> ResumeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var resumed = new List<BatchJob>();
        foreach (var id in _store.ListIds())
        {
            if (_running.ContainsKey(id))
            {
                continue;
            }

            var job = await TryRetrieveAsync(id, cancellationToken).ConfigureAwait(false);
            if (job is null || job.IsTerminal)
            {
                continue;
            }

            Log.ResumingBatch(_logger, id, BatchStatusNames.Of(job.Status));
            if (await TryRunAsync(id).ConfigureAwait(false) is { } current && IsRunning(id))
            {
                resumed.Add(current);
            }
        }

        return resumed;
    }

    /// <summary>Resumes one unfinished batch of the store, when no other process is running it.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The batch as it now stands (unchanged when it had ended or another process runs it).</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    public async Task<BatchJob> ResumeAsync(string batchId, CancellationToken cancellationToken = default)
    {
        var job = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (job.IsTerminal || _running.ContainsKey(batchId))
        {
            return job;
        }

        Log.ResumingBatch(_logger, batchId, BatchStatusNames.Of(job.Status));
        return await TryRunAsync(batchId).ConfigureAwait(false) ?? job;
    }

    /// <summary>Gets a value indicating whether a batch is running in this manager.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns><see langword="true"/> while this manager runs it.</returns>
    public bool IsRunning(string batchId) => _running.TryGetValue(batchId, out var runner) && !runner.Completion.IsCompleted;

    /// <summary>Stops the running batches without cancelling them (they stay <c>in_progress</c> and resume next time) and releases their locks.</summary>
    /// <returns>A task that completes when every batch has stopped and saved its state.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var runner in _running.Values)
        {
            await runner.DisposeAsync().ConfigureAwait(false);
        }

        _running.Clear();
        _startGate.Dispose();
    }

    /// <summary>Runs a batch in this manager, unless another process holds it; see <see cref="TryStartAsync"/>.</summary>
    /// <returns>The batch as it now stands, or <see langword="null"/> when another process runs it.</returns>
    private async Task<BatchJob?> TryRunAsync(string batchId, FileStream? heldLock = null) =>
        (await TryStartAsync(batchId, heldLock, quiet: false).ConfigureAwait(false)).Job;

    /// <summary>
    /// Runs a batch in this manager, unless another process holds it (then no job and no runner). The state is
    /// read again once the batch is locked, since another process may have moved it on: an ended batch is left as
    /// it is (no runner), and one still <c>validating</c> (its creator stopped midway) ends failed.
    /// </summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="heldLock">The batch's run lock when the caller holds it already (a batch just created).</param>
    /// <param name="quiet">Whether a batch locked elsewhere goes unlogged (a waiter looks every tick).</param>
    /// <returns>The batch as it now stands and the runner started for it, if one was.</returns>
    private async Task<(BatchJob? Job, BatchRunner? Runner)> TryStartAsync(string batchId, FileStream? heldLock, bool quiet)
    {
        var runLock = heldLock ?? _store.TryLock(batchId);
        if (runLock is null)
        {
            if (!quiet)
            {
                Log.BatchLockedElsewhere(_logger, batchId);
            }

            return (null, null);
        }

        BatchJob job;
        try
        {
            job = await _store.ReadStateAsync(batchId, CancellationToken.None).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"No batch '{batchId}' in the store {_store.Root}.");
            if (job.Status == BatchStatus.Validating)
            {
                job = FailedAsInterrupted(job);
                await _store.WriteStateAsync(job, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch
        {
            await runLock.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (job.IsTerminal)
        {
            await runLock.DisposeAsync().ConfigureAwait(false);
            return (job, null);
        }

        // A batch that ended, or whose run failed (a damaged result file, a full disk), stops being this manager's
        // as soon as its run is over: a failed one keeps its last saved state, ready for ResumeAsync once repaired.
        var runner = new BatchRunner(job, _store, _processor, _time, _logger, runLock, ended => _running.TryRemove(new KeyValuePair<string, BatchRunner>(job.Id, ended)));
        if (!_running.TryAdd(job.Id, runner))
        {
            // Unreachable while the lock is exclusive: a runner of this batch would hold it.
            await runLock.DisposeAsync().ConfigureAwait(false);
            return (_running.GetValueOrDefault(job.Id)?.Current, null);
        }

        runner.Start();
        _ = runner.Completion.ContinueWith(
            async task =>
            {
                if (task.IsFaulted || task.Result.IsTerminal)
                {
                    await runner.DisposeAsync().ConfigureAwait(false);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        if (Volatile.Read(ref _disposed) != 0 && _running.TryRemove(new KeyValuePair<string, BatchRunner>(job.Id, runner)))
        {
            // The manager was disposed while this runner started, after it stopped the others: stop this one too.
            await runner.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(BatchJobManager));
        }

        return (runner.Current, runner);
    }

    private async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _started))
        {
            return;
        }

        await _startGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_started)
            {
                if (_options.ResumeOnStart)
                {
                    await ResumeAsync(cancellationToken).ConfigureAwait(false);
                }

                Volatile.Write(ref _started, true);
            }
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>Validates the input while copying it to the batch's folder (atomically: a temporary file, then a rename).</summary>
    private async Task<BatchInputValidator.Result> ValidateAndStoreInputAsync(string id, Stream input, string? endpoint, CancellationToken cancellationToken)
    {
        var inputPath = _store.InputPath(id);
        var temp = inputPath + ".tmp";
        BatchInputValidator.Result validation;
        try
        {
            var copy = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            await using (copy.ConfigureAwait(false))
            {
                validation = await BatchInputValidator.ValidateAndCopyAsync(input, copy, endpoint, _options.MaxLinesPerBatch, cancellationToken).ConfigureAwait(false);
                copy.Flush(flushToDisk: true);
            }
        }
        catch
        {
            File.Delete(temp); // a partial copy, as large as the input read so far, of a batch that will never run
            throw;
        }

        File.Move(temp, inputPath, overwrite: true);
        return validation;
    }

    /// <summary>
    /// A batch whose validation never finished (the call was cancelled, the disk failed, or the process stopped):
    /// its input was a stream that is gone, so it cannot resume. It ends failed, having sent nothing.
    /// </summary>
    private BatchJob FailedAsInterrupted(BatchJob job) => job with
    {
        Status = BatchStatus.Failed,
        FailedAt = _time.GetUtcNow().ToUnixTimeSeconds(),
        Errors = new BatchErrors([new BatchValidationError("validation_interrupted", "The input was not fully validated (the creation was cancelled or its process stopped); nothing was sent. Create the batch again.", null, null)]),
        RequestCounts = new BatchRequestCounts(0, 0, 0),
    };

    private static void ValidateArguments(string? endpoint, BatchCreateOptions options)
    {
        if (endpoint is not null && !BatchInputValidator.SupportedEndpoints.Contains(endpoint, StringComparer.Ordinal))
        {
            throw new ArgumentException($"The endpoint '{endpoint}' is not supported; use one of {string.Join(", ", BatchInputValidator.SupportedEndpoints)}.", nameof(endpoint));
        }

        if (options.CompletionWindow != "24h")
        {
            throw new ArgumentException($"The completion window must be \"24h\"; got \"{options.CompletionWindow}\".", nameof(options));
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
