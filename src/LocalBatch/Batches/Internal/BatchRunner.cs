using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Runs one batch to its end: streams the stored input through the processor (skipping every request already
/// answered), appends each outcome to the output or error file as it finishes, keeps the state file current, and
/// finishes the lifecycle (completed, cancelled or expired). Every way of stopping it goes through its one
/// <see cref="BatchStopSource"/>, and the run ends with that source's first reason, from which it decides the batch's
/// fate in one place. It knows nothing of who owns it: its owner starts it, awaits the run, lets go of the batch, then
/// disposes it, which gives the run's end to <see cref="Completion"/>.
/// </summary>
internal sealed partial class BatchRunner : IAsyncDisposable
{
    private static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(1);

    private readonly BatchStore _store;
    private readonly LocalBatchProcessor _processor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BatchStopSource _stop;
    private readonly BatchUsageCounter _usage = new();
    private readonly TaskCompletionSource<BatchJob> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LatestProgress _progress = new();
    private readonly Lock _gate = new();
    private BatchJob _job;
    private int _doneAtStart;
    private Task<BatchJob>? _run;

    public BatchRunner(BatchJob job, BatchStore store, LocalBatchProcessor processor, TimeProvider time, ILogger logger)
    {
        _job = job;
        _store = store;
        _processor = processor;
        _time = time;
        _logger = logger;
        _stop = new BatchStopSource(store.CancelRequestPath(job.Id), time);
    }

    public BatchJob Current => Volatile.Read(ref _job);

    /// <summary>Gets the batch as it stands, saying why it waits (<see cref="BatchJob.Waiting"/>) while no server takes requests.</summary>
    public BatchJob Live => Current is { IsTerminal: false, Waiting: null } job && BatchWaits.During(_processor.Client.Pool.Outage()) is { } waiting
        ? job with { Waiting = waiting }
        : Current;

    /// <summary>
    /// Completes, once the runner is disposed, with the run's end: the batch's final state, its state at shutdown, or
    /// the error it stopped with (see <see cref="FinishAsync"/>, or a file error). Its owner lets go of the batch before
    /// disposing it, so that whoever sees the end finds the batch free.
    /// </summary>
    public Task<BatchJob> Completion => _completion.Task;

    /// <summary>Starts the run; a cancellation asked for while nobody ran the batch (the marker file) applies at once.</summary>
    /// <returns>The run: it completes as soon as the run is over, with the outcome that <see cref="Completion"/> gives later.</returns>
    public Task<BatchJob> Start()
    {
        if (_stop.CheckCancelMarker())
        {
            MarkCancelling();
        }

        return _run = Task.Run(RunAsync);
    }

    /// <summary>
    /// Asks the run to stop; only the first reason counts. A cancellation asked here shows as <c>cancelling</c> before
    /// this returns whenever a cancellation is what stops the run, this one or one asked just before (by another caller,
    /// or found in the marker file), so that every caller's answer shows it.
    /// </summary>
    public void RequestStop(BatchStopReason reason)
    {
        _stop.Request(reason);
        if (reason is BatchStopReason.Cancel && _stop.Reason is BatchStopReason.Cancel)
        {
            MarkCancelling();
        }
    }

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

    /// <summary>Stops the run (as a shutdown, unless it stopped already), waits for it, and gives its end to <see cref="Completion"/>. Safe to call again.</summary>
    public async ValueTask DisposeAsync()
    {
        RequestStop(new BatchStopReason.Shutdown());
        if (_run is { } run)
        {
            await ((Task)run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _completion.TrySetFromTask(run);
        }

        _stop.Dispose();
    }

    private async Task<BatchJob> RunAsync()
    {
        try
        {
            return await RunCoreAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.BatchRunFailed(_logger, Current.Id, ex);
            throw;
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
            Waiting = null,
            RequestCounts = job.RequestCounts with { Completed = files.Completed, Failed = files.Failed },
        });
        await SaveAsync(files).ConfigureAwait(false);

        if (Current.Status == BatchStatus.Cancelling)
        {
            RequestStop(new BatchStopReason.Cancel());
        }

        using (_stop.StartWatching(Current.ExpiresAt))
        {
            try
            {
                await SendUnansweredAsync(files).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.Token.IsCancellationRequested)
            {
                // Stopped; what happens to the rest depends on why.
            }

            return await FinishAsync(files, _stop.Reason).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends every request not yet answered, recording each outcome as it finishes and saving the state every second,
    /// until the input is exhausted or the run is stopped (by its stop source, or by a request's failure that every
    /// later request would share: that failure is not recorded, the run stops for it).
    /// </summary>
    private async Task SendUnansweredAsync(BatchResultFiles files)
    {
        // The batch's requests take turns at the admission point as one group of its owner's (a key's name in serve).
        TurnGroup.Enter(new TurnGroup(Current.Owner ?? string.Empty));
        var lastSave = _time.GetTimestamp();
        var outcomes = await OutcomesAsync(files).ConfigureAwait(false);
        await foreach (var (request, result) in outcomes.ConfigureAwait(false))
        {
            if (await RunStopOfAsync(result.Error).ConfigureAwait(false) is { } stop)
            {
                _stop.Request(stop);
                return;
            }

            var line = BatchResultMapper.ToResultLine(request.CustomId, result);
            if (files.Append(request.Index, line))
            {
                // The usage so far with the count, in one update: a batch read while it runs shows its tokens, not those of its last save.
                _usage.Add(line);
                var usage = _usage.Total();
                Update(job => job with { RequestCounts = job.RequestCounts with { Completed = job.RequestCounts.Completed + 1 }, Usage = usage });
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

    /// <summary>
    /// Why a request's failure stops the whole run, when it is not the request's own: the server refused the API key
    /// (401 or 403: it refuses every request alike), or it stopped answering even <c>/health</c> after every retry. A
    /// request that alone breaks its connection while the server answers gets its error line instead.
    /// </summary>
    private async Task<BatchStopReason?> RunStopOfAsync(BatchItemError? error)
    {
        if (error is not null && BatchStopSource.IsRefusal(error.StatusCode))
        {
            return new BatchStopReason.KeyRefused(error);
        }

        return error is { Kind: GatewayErrorKind.Unreachable } && !await ServerAnswersAsync().ConfigureAwait(false)
            ? new BatchStopReason.ServerGone(error)
            : null;
    }

    /// <summary>
    /// Decides the batch's fate from why its run ended, in one place: completed (its input exhausted, no reason),
    /// cancelled or expired (the rest recorded as unrun), or saved to resume later: after a shutdown, or with the error
    /// the caller sees when the server refused the API key or stopped answering (rather than burn the rest into error
    /// lines that every one of them would share).
    /// </summary>
    /// <returns>The batch as it ends, or as it is saved at shutdown.</returns>
    /// <exception cref="LocalGatewayException">The server refused the API key, or stopped answering: the batch stays in progress.</exception>
    private async Task<BatchJob> FinishAsync(BatchResultFiles files, BatchStopReason? reason)
    {
        switch (reason)
        {
            case BatchStopReason.Shutdown:
                await SaveAsync(files).ConfigureAwait(false);
                return Current;

            case BatchStopReason.KeyRefused or BatchStopReason.ServerGone:
                var stopped = StoppedError(reason);
                Update(job => job with { Waiting = BatchWaits.After(reason, stopped.Message, _time.GetUtcNow()) });
                await SaveAsync(files).ConfigureAwait(false);
                throw stopped;

            case BatchStopReason.Cancel or BatchStopReason.Expire:
                await RecordUnrunAsync(files, reason).ConfigureAwait(false);
                break;

            default:
                Update(job => job with { Status = BatchStatus.Finalizing, FinalizingAt = _time.GetUtcNow().ToUnixTimeSeconds() });
                await SaveAsync(files).ConfigureAwait(false);
                Update(job => WithFiles(job with { Status = BatchStatus.Completed, CompletedAt = _time.GetUtcNow().ToUnixTimeSeconds() }, files));
                break;
        }

        await SaveAsync(files).ConfigureAwait(false);
        _stop.ClearCancelMarker();
        return Current;
    }

    /// <summary>Ends a cancelled or expired batch: every request that did not run gets its <c>batch_cancelled</c> or <c>batch_expired</c> line.</summary>
    private async Task RecordUnrunAsync(BatchResultFiles files, BatchStopReason reason)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var cancelled = reason is BatchStopReason.Cancel;
        if (cancelled)
        {
            MarkCancelling();
        }

        // Saved first (with every line so far, and cancelling), so that a crash while the unrun lines are recorded
        // resumes into recording the rest, never into running them.
        await SaveAsync(files).ConfigureAwait(false);
        var unrun = 0;
        await foreach (var request in BatchInputFile.ReadUnansweredAsync(_store, Current, files.Answered, CancellationToken.None).ConfigureAwait(false))
        {
            files.AppendUnrun(BatchResultMapper.Unrun(request.CustomId, reason));
            unrun++;
        }

        Update(job => WithFiles(
            job with
            {
                Status = cancelled ? BatchStatus.Cancelled : BatchStatus.Expired,
                CancellingAt = cancelled ? job.CancellingAt ?? now : job.CancellingAt,
                CancelledAt = cancelled ? now : null,
                ExpiredAt = cancelled ? null : now,
                RequestCounts = job.RequestCounts with { Failed = job.RequestCounts.Failed + unrun },
            },
            files));
    }

    /// <summary>The end with the ids of its files, made in the one update that ends the batch: <see cref="Current"/> never shows an end without them.</summary>
    private static BatchJob WithFiles(BatchJob job, BatchResultFiles files) => job with
    {
        OutputFileId = files.HasOutput ? BatchFileIds.Output(job.Id) : null,
        ErrorFileId = files.HasErrors ? BatchFileIds.Errors(job.Id) : null,
    };

    /// <summary>The error that whoever waits for the batch sees when its run stopped on a failure that every request would share.</summary>
    private LocalGatewayException StoppedError(BatchStopReason reason)
    {
        var unanswered = Current.RequestCounts.Total - Current.RequestCounts.Completed - Current.RequestCounts.Failed;
        var id = Current.Id;
        var (message, error) = reason switch
        {
            BatchStopReason.KeyRefused { Refusal: var refusal } => (
                $"{(_processor.Client.Options.ApiKey is null ? "The server requires an API key and none was given" : "The server refused the API key")} ({refusal.StatusCode} {refusal.Type}: {refusal.Message}), so batch '{id}' stopped at its first refused request with {unanswered} requests unanswered; set the right key (LocalBatchOptions.ApiKey) and resume it.",
                refusal),
            BatchStopReason.ServerGone { Error: var gone } => (
                $"The server stopped answering, so batch '{id}' stopped with {unanswered} requests unanswered; resume it once the server is back. {gone.Message}",
                gone),
            _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a stop on a failure."),
        };
        return LocalGatewayException.RunStopped(message, error, Current.Endpoint);
    }

    /// <summary>Whether the server answers <c>/health</c> at all (ready or loading), asked once.</summary>
    private async Task<bool> ServerAnswersAsync()
    {
        try
        {
            await _processor.Client.GetHealthAsync(_stop.Token).ConfigureAwait(false);
            return true;
        }
        catch (LocalGatewayException)
        {
            return false;
        }
    }

    /// <summary>Shows the batch as cancelling (from the first cancellation asked), unless it has ended already.</summary>
    private void MarkCancelling()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        Update(job => job.IsTerminal ? job : job with { Status = BatchStatus.Cancelling, CancellingAt = job.CancellingAt ?? now });
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
