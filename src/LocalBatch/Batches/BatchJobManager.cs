using LocalBatch.Batches.Internal;
using LocalBatch.Internal;
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
public sealed partial class BatchJobManager : IAsyncDisposable
{
    private readonly BatchJobManagerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BatchStore _store;
    private readonly BatchCreator _creator;
    private readonly BatchRunnerRegistry _runners;
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private bool _started;

    /// <summary>Initializes a new instance of the <see cref="BatchJobManager"/> class.</summary>
    /// <param name="processor">The processor that sends the requests (its concurrency bound applies).</param>
    /// <param name="options">Where the store is and its limits; the defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where resumes and failures are logged.</param>
    /// <param name="timeProvider">The clock for timestamps and expiry; <see cref="TimeProvider.System"/> by default.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public BatchJobManager(LocalBatchProcessor processor, BatchJobManagerOptions? options = null, ILogger<BatchJobManager>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(processor);
        _options = options ?? new BatchJobManagerOptions();
        BatchJobManagerOptionsValidator.ThrowIfInvalid(_options);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _store = new BatchStore(_options.StoreDirectory);
        _creator = new BatchCreator(_store, _options, _time);
        _runners = new BatchRunnerRegistry(_store, processor, _time, _logger);
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
    /// <param name="options">The completion window, metadata, and earlier batches whose answers to unchanged requests are reused.</param>
    /// <param name="cancellationToken">Cancels the creation while the input is read (not the batch once it runs).</param>
    /// <returns>The new batch: <see cref="BatchStatus.InProgress"/>, or <see cref="BatchStatus.Failed"/> with its errors.</returns>
    /// <exception cref="ArgumentException">
    /// The endpoint, completion window or metadata is not valid, or a batch of <see cref="BatchCreateOptions.ReuseAnswersFrom"/> is not in the store.
    /// </exception>
    public async Task<BatchJob> CreateAsync(Stream input, string? endpoint = null, BatchCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new BatchCreateOptions();
        BatchCreator.ValidateArguments(endpoint, options);
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);

        var (job, runLock) = await _creator.CreateAsync(input, endpoint, options, cancellationToken).ConfigureAwait(false);
        if (runLock is null)
        {
            return job;
        }

        try
        {
            return await TryRunAsync(job.Id, runLock).ConfigureAwait(false) ?? job;
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
        var all = await ListNewestFirstAsync(cancellationToken).ConfigureAwait(false);
        var start = 0;
        if (after is not null)
        {
            var position = all.FindIndex(job => job.Id == after);
            start = position < 0 ? all.Count : position + 1;
        }

        var page = all.Skip(start).Take(limit).ToList();
        return new BatchPage(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, start + page.Count < all.Count);
    }

    /// <summary>Lists every batch of the store, newest first, without paging.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The batches as they stood when the listing started; one whose state cannot be read is skipped (and logged).</returns>
    public async IAsyncEnumerable<BatchJob> ListAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var job in await ListNewestFirstAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return job;
        }
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
            throw new InvalidOperationException($"Batch '{batchId}' is already {job.Status.ToWireName()} and cannot be cancelled.");
        }

        // The marker file is the request, on disk: a runner in another process sees it within a second, and a batch
        // whose process is killed before it records the cancellation still ends cancelled when resumed.
        await File.WriteAllTextAsync(_store.CancelRequestPath(batchId), string.Empty, cancellationToken).ConfigureAwait(false);
        if (_runners.TryGet(batchId, out var runner))
        {
            runner.RequestStop(new BatchStopReason.Cancel());
            return runner.Current;
        }

        // Not running here: another process runs it, or nobody does (run it here, and the runner finds the marker as
        // it starts). Only the runner writes the cancelling state: a write here would race its writes.
        return await TryRunAsync(batchId).ConfigureAwait(false)
            ?? job with { Status = BatchStatus.Cancelling, CancellingAt = job.CancellingAt ?? _time.GetUtcNow().ToUnixTimeSeconds() };
    }

    /// <summary>
    /// Resumes the unfinished batches of the store that no other process is running. Called once by the first
    /// operation when <see cref="BatchJobManagerOptions.ResumeOnStart"/> is set; safe to call again.
    /// </summary>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The batches resumed.</returns>
    public async Task<IReadOnlyList<BatchJob>> ResumeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_runners.IsDisposed, this);
        var resumed = new List<BatchJob>();
        foreach (var id in _store.ListIds())
        {
            if (_runners.Contains(id))
            {
                continue;
            }

            var job = await TryRetrieveAsync(id, cancellationToken).ConfigureAwait(false);
            if (job is null || job.IsTerminal)
            {
                continue;
            }

            Log.ResumingBatch(_logger, id, job.Status.ToWireName());
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
        if (job.IsTerminal || _runners.Contains(batchId))
        {
            return job;
        }

        Log.ResumingBatch(_logger, batchId, job.Status.ToWireName());
        return await TryRunAsync(batchId).ConfigureAwait(false) ?? job;
    }

    /// <summary>Gets a value indicating whether a batch is running in this manager.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns><see langword="true"/> while this manager runs it.</returns>
    public bool IsRunning(string batchId) => _runners.IsRunning(batchId);

    /// <summary>
    /// Gets a value indicating whether any process runs a batch now: this manager, or another process on the same store
    /// (one holds the batch's run lock). An unfinished batch that no process runs was interrupted: its process stopped,
    /// or its run stopped on an error; it goes on once a manager resumes it or waits for it.
    /// </summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns><see langword="true"/> while a process runs it.</returns>
    /// <exception cref="ArgumentException">The id is not a batch id.</exception>
    public bool IsRunningAnywhere(string batchId) => _runners.IsRunning(batchId) || _store.IsLocked(batchId);

    /// <summary>Stops the running batches without cancelling them (they stay <c>in_progress</c> and resume next time) and releases their locks.</summary>
    /// <returns>A task that completes when every batch has stopped and saved its state.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_runners.IsDisposed)
        {
            return;
        }

        await _runners.DisposeAsync().ConfigureAwait(false);
        _startGate.Dispose();
    }

    /// <summary>Runs a batch in this manager, unless another process holds it.</summary>
    /// <returns>The batch as it now stands, or <see langword="null"/> when another process runs it.</returns>
    private async Task<BatchJob?> TryRunAsync(string batchId, FileStream? heldLock = null) =>
        (await _runners.TryStartAsync(batchId, heldLock, quiet: false).ConfigureAwait(false)).Job;

    /// <summary>Every readable batch of the store, newest first (ids break ties between batches of the same second).</summary>
    private async Task<List<BatchJob>> ListNewestFirstAsync(CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        var all = new List<BatchJob>();
        foreach (var id in _store.ListIds())
        {
            if (await TryRetrieveAsync(id, cancellationToken).ConfigureAwait(false) is { } job)
            {
                all.Add(job);
            }
        }

        all.Sort(static (a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : string.CompareOrdinal(b.Id, a.Id));
        return all;
    }

    private async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_runners.IsDisposed, this);
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

    /// <summary>
    /// A batch as it stands: live from its runner while this manager runs it (with why it waits while no server takes
    /// requests), else from its saved state. An end is
    /// shown only once it is saved: a runner that has reached its end gives its saved state until it is gone, since its
    /// live state may be one of the steps that make up the end (a <c>completed</c> batch without its file ids yet) and
    /// is not yet what a restart would find.
    /// </summary>
    private async Task<BatchJob?> ReadCurrentAsync(string batchId, CancellationToken cancellationToken) =>
        _runners.TryGet(batchId, out var runner) && runner.Live is { IsTerminal: false } live
            ? live
            : await _store.ReadStateAsync(batchId, cancellationToken).ConfigureAwait(false);
}
