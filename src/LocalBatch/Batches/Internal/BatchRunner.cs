using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Runs one batch to its end: streams the stored input through the processor (skipping every request already
/// answered), appends each outcome to the output or error file as it finishes, keeps the state file current, and
/// finishes the lifecycle (completed, cancelled or expired).
/// </summary>
internal sealed partial class BatchRunner : IAsyncDisposable
{
    private static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(1);

    private readonly BatchStore _store;
    private readonly LocalBatchProcessor _processor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FileStream _lock;
    private readonly Action<BatchRunner> _ended;
    private readonly BatchStopSignals _signals;
    private readonly BatchUsageCounter _usage = new();
    private readonly TaskCompletionSource<BatchJob> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LatestProgress _progress = new();
    private readonly Lock _gate = new();
    private BatchJob _job;
    private int _doneAtStart;
    private Task? _run;

    // ended: called when the run is over (ended or failed), before the lock is released and Completion completes.
    public BatchRunner(BatchJob job, BatchStore store, LocalBatchProcessor processor, TimeProvider time, ILogger logger, FileStream runLock, Action<BatchRunner> ended)
    {
        _ended = ended;
        _job = job;
        _store = store;
        _processor = processor;
        _time = time;
        _logger = logger;
        _lock = runLock;
        _signals = new BatchStopSignals(store.CancelRequestPath(job.Id), time, OnStopping);
    }

    public BatchJob Current => Volatile.Read(ref _job);

    /// <summary>Completes with the batch's final state (or its state at shutdown).</summary>
    public Task<BatchJob> Completion => _completion.Task;

    /// <summary>Starts the run; a cancellation asked for while nobody ran the batch (the marker file) applies at once.</summary>
    public void Start()
    {
        _signals.CheckCancelMarker();
        _run = Task.Run(RunAsync);
    }

    public void RequestStop(BatchStopReason reason) => _signals.Request(reason);

    public BatchProgress Progress()
    {
        var job = Current;
        var run = _progress.Latest;
        var done = job.RequestCounts.Completed + job.RequestCounts.Failed;
        var elapsed = run?.Elapsed ?? TimeSpan.Zero;

        // This run's lines a second (a coalesced call answers many lines, so the stream's own rate counts calls).
        var rate = elapsed > TimeSpan.Zero ? (done - Volatile.Read(ref _doneAtStart)) / elapsed.TotalSeconds : 0;
        return new BatchProgress
        {
            Total = job.RequestCounts.Total,
            Completed = done,
            Failed = job.RequestCounts.Failed,
            InFlight = run?.InFlight ?? 0,
            Elapsed = elapsed,
            RequestsPerSecond = rate,
            // This run's tokens, like its rate and elapsed time (a resumed batch's earlier tokens are in its usage).
            PromptTokens = _usage.RunInputTokens,
            CompletionTokens = _usage.RunOutputTokens,
            EstimatedRemaining = rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, job.RequestCounts.Total - done) / rate) : null,
            Servers = _processor.Client.Pool.Snapshot(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        RequestStop(BatchStopReason.Shutdown);
        if (_run is not null)
        {
            await _run.ConfigureAwait(false);
        }

        _signals.Dispose();
        await _lock.DisposeAsync().ConfigureAwait(false);
    }

    private void OnStopping(BatchStopReason reason)
    {
        if (reason == BatchStopReason.Cancel)
        {
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            Update(job => job.IsTerminal ? job : job with { Status = BatchStatus.Cancelling, CancellingAt = job.CancellingAt ?? now });
        }
    }

    private async Task RunAsync()
    {
        BatchJob? final = null;
        Exception? failure = null;
        try
        {
            final = await RunCoreAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.BatchRunFailed(_logger, Current.Id, ex);
            failure = ex;
        }

        if (failure is not null || final!.IsTerminal)
        {
            // Over (ended, or failed with its last state saved): release the batch before anyone sees the outcome,
            // so that a waiter finds it no longer registered and unlocked (in that order: whoever takes the lock can
            // register a new runner), ready to be resumed.
            _ended(this);
            await _lock.DisposeAsync().ConfigureAwait(false);
        }

        if (failure is not null)
        {
            _completion.TrySetException(failure);
        }
        else
        {
            _completion.TrySetResult(final!);
        }
    }

    private async Task<BatchJob> RunCoreAsync()
    {
        var files = await BatchResultFiles.OpenAsync(_store, Current, _usage.Add).ConfigureAwait(false);
        await using var filesScope = files.ConfigureAwait(false);
        _usage.StartRun();
        Volatile.Write(ref _doneAtStart, files.Completed + files.Failed);

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        Update(job => job with
        {
            Status = job.Status == BatchStatus.Cancelling ? BatchStatus.Cancelling : BatchStatus.InProgress,
            InProgressAt = job.InProgressAt ?? now,
            RequestCounts = job.RequestCounts with { Completed = files.Completed, Failed = files.Failed },
        });
        await SaveAsync(files).ConfigureAwait(false);

        if (Current.Status == BatchStatus.Cancelling)
        {
            RequestStop(BatchStopReason.Cancel);
        }

        using (_signals.StartWatching(Current.ExpiresAt))
        {
            try
            {
                await SendUnansweredAsync(files).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_signals.Token.IsCancellationRequested)
            {
                // Stopped on purpose; what happens to the rest depends on why.
            }

            return await FinishAsync(files, _signals.Reason).ConfigureAwait(false);
        }
    }

    /// <summary>Sends every request not yet answered, recording each outcome as it finishes and saving the state every second.</summary>
    /// <exception cref="LocalGatewayException">The server stopped answering altogether, or refused the API key (the run stops, resumable).</exception>
    private async Task SendUnansweredAsync(BatchResultFiles files)
    {
        using var refusal = new KeyRefusal(_signals.Token);
        var lastSave = _time.GetTimestamp();
        try
        {
            var outcomes = await OutcomesAsync(files, refusal).ConfigureAwait(false);
            await foreach (var (request, result) in outcomes.ConfigureAwait(false))
            {
                if (await StopReasonAsync(result.Error).ConfigureAwait(false) is { } stop)
                {
                    throw await SavedForStopAsync(files, stop).ConfigureAwait(false);
                }

                var line = BatchResultMapper.ToResultLine(request.CustomId, result);
                if (files.Append(request.Index, line))
                {
                    _usage.Add(line);
                    Update(job => job with { RequestCounts = job.RequestCounts with { Completed = job.RequestCounts.Completed + 1 } });
                }
                else
                {
                    Update(job => job with { RequestCounts = job.RequestCounts with { Failed = job.RequestCounts.Failed + 1 } });
                }

                if (_time.GetElapsedTime(lastSave) >= PersistInterval)
                {
                    await SaveAsync(files).ConfigureAwait(false);
                    lastSave = _time.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (refusal.First is { } response && !_signals.Token.IsCancellationRequested)
        {
            var stop = await StopReasonAsync(BatchResultMapper.ErrorOf(response)).ConfigureAwait(false);
            throw await SavedForStopAsync(files, stop!).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Saves the run before it stops on a failure that every later request would share: it ends with the rest
    /// unanswered (the batch stays in_progress) to resume once the cause is gone, rather than burn the batch into
    /// error lines. Returns the failure, for the caller to throw.
    /// </summary>
    private async Task<LocalGatewayException> SavedForStopAsync(BatchResultFiles files, LocalGatewayException stop)
    {
        await SaveAsync(files).ConfigureAwait(false);
        return stop;
    }

    /// <summary>
    /// The error that stops the whole run, when a request's failure is not the request's own: the server refused the
    /// API key (401 or 403: it refuses every request alike), or it stopped answering even <c>/health</c> after every
    /// retry. A request that alone breaks its connection while the server answers gets its error line instead.
    /// </summary>
    private async Task<LocalGatewayException?> StopReasonAsync(BatchItemError? error)
    {
        var unanswered = Current.RequestCounts.Total - Current.RequestCounts.Completed - Current.RequestCounts.Failed;
        var id = Current.Id;
        if (error is { StatusCode: 401 or 403 })
        {
            var cause = _processor.Client.Options.ApiKey is null
                ? $"The server requires an API key and none was given ({error.StatusCode} {error.Type}: {error.Message})"
                : $"The server refused the API key ({error.StatusCode} {error.Type}: {error.Message})";
            return LocalGatewayException.RunStopped(
                $"{cause}, so batch '{id}' stopped at its first refused request with {unanswered} requests unanswered; set the right key (LocalBatchOptions.ApiKey) and resume it.",
                error,
                Current.Endpoint);
        }

        if (error is { Kind: GatewayErrorKind.Unreachable } && !await ServerAnswersAsync().ConfigureAwait(false))
        {
            return LocalGatewayException.RunStopped(
                $"The server stopped answering, so batch '{id}' stopped with {unanswered} requests unanswered; resume it once the server is back. {error.Message}",
                error,
                Current.Endpoint);
        }

        return null;
    }

    /// <summary>Ends the run as its stop reason says: saved for later (shutdown), cancelled or expired, or completed.</summary>
    private async Task<BatchJob> FinishAsync(BatchResultFiles files, BatchStopReason reason)
    {
        if (reason == BatchStopReason.Shutdown)
        {
            await SaveAsync(files).ConfigureAwait(false);
            return Current;
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (reason is BatchStopReason.Cancel or BatchStopReason.Expire)
        {
            // Saved first (with every line so far), so that a crash while the unrun lines are recorded resumes into
            // recording the rest, never into running them.
            await SaveAsync(files).ConfigureAwait(false);
            var unrun = 0;
            await foreach (var request in BatchInputFile.ReadUnansweredAsync(_store, Current, files.Answered, CancellationToken.None).ConfigureAwait(false))
            {
                files.AppendUnrun(BatchResultMapper.Unrun(request.CustomId, reason));
                unrun++;
            }

            Update(job => job with
            {
                Status = reason == BatchStopReason.Cancel ? BatchStatus.Cancelled : BatchStatus.Expired,
                CancellingAt = reason == BatchStopReason.Cancel ? job.CancellingAt ?? now : job.CancellingAt,
                CancelledAt = reason == BatchStopReason.Cancel ? now : null,
                ExpiredAt = reason == BatchStopReason.Expire ? now : null,
                RequestCounts = job.RequestCounts with { Failed = job.RequestCounts.Failed + unrun },
            });
        }
        else
        {
            Update(job => job with { Status = BatchStatus.Finalizing, FinalizingAt = now });
            await SaveAsync(files).ConfigureAwait(false);
            Update(job => job with { Status = BatchStatus.Completed, CompletedAt = _time.GetUtcNow().ToUnixTimeSeconds() });
        }

        Update(job => job with
        {
            OutputFileId = files.HasOutput ? BatchFileIds.Output(job.Id) : null,
            ErrorFileId = files.HasErrors ? BatchFileIds.Errors(job.Id) : null,
        });
        await SaveAsync(files).ConfigureAwait(false);
        _signals.ClearCancelMarker();
        return Current;
    }

    /// <summary>Whether the server answers <c>/health</c> at all (ready or loading), asked once.</summary>
    private async Task<bool> ServerAnswersAsync()
    {
        try
        {
            await _processor.Client.GetHealthAsync(_signals.Token).ConfigureAwait(false);
            return true;
        }
        catch (LocalGatewayException)
        {
            return false;
        }
    }

    private void Update(Func<BatchJob, BatchJob> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _job, change(_job));
        }
    }

    /// <summary>
    /// Forces the result lines to disk, then writes the state with the usage so far: a state on disk never counts a
    /// line that a power loss could take back.
    /// </summary>
    private Task SaveAsync(BatchResultFiles files)
    {
        files.FlushToDisk();
        Update(job => job with { Usage = _usage.Total() });
        return _store.WriteStateAsync(Current, CancellationToken.None);
    }

    /// <summary>Keeps the last progress snapshot of the running stream.</summary>
    private sealed class LatestProgress : IProgress<BatchProgress>
    {
        private BatchProgress? _latest;

        public BatchProgress? Latest => Volatile.Read(ref _latest);

        public void Report(BatchProgress value) => Volatile.Write(ref _latest, value);
    }
}
