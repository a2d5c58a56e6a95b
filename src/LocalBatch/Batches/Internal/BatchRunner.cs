using LocalBatch.Internal;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Runs one batch to its end: streams the stored input through the processor (skipping every request already
/// answered), appends each outcome to the output or error file as it finishes, keeps the state file current, and
/// finishes the lifecycle (completed, cancelled or expired).
/// </summary>
internal sealed class BatchRunner : IAsyncDisposable
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
    /// <exception cref="LocalGatewayException">The server stopped answering altogether (the run stops, resumable).</exception>
    private async Task SendUnansweredAsync(BatchResultFiles files)
    {
        var outcomes = await OutcomesAsync(files).ConfigureAwait(false);
        var lastSave = _time.GetTimestamp();
        await foreach (var (request, result) in outcomes.ConfigureAwait(false))
        {
            if (result.Error is { Kind: GatewayErrorKind.Unreachable } unreachable && !await ServerAnswersAsync().ConfigureAwait(false))
            {
                // The server is gone, after every retry: every request after this one would fail the same way. The
                // run stops with this one and the rest unanswered (the batch stays in_progress), to resume when the
                // server is back, rather than burning the batch into server_unreachable lines. (When the server does
                // answer, only this request breaks its connection: it gets its error line.)
                await SaveAsync(files).ConfigureAwait(false);
                var counts = Current.RequestCounts;
                throw new LocalGatewayException(
                    $"The server stopped answering, so batch '{Current.Id}' stopped with {counts.Total - counts.Completed - counts.Failed} requests unanswered; resume it once the server is back. {unreachable.Message}",
                    unreachable.Exception);
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

    /// <summary>
    /// The unanswered requests sent, each with its outcome as it finishes: embedding lines coalesced into array calls;
    /// other lines in runs of shared prompt prefixes when some share one, else in input order.
    /// </summary>
    private async Task<IAsyncEnumerable<(BatchInputLine Request, BatchItemResult<GatewayResponse> Result)>> OutcomesAsync(BatchResultFiles files)
    {
        var endpoint = Current.Endpoint;
        var remaining = Current.RequestCounts.Total - files.Completed - files.Failed;
        var unanswered = BatchInputFile.ReadUnansweredAsync(_store, Current, files.Answered, _signals.Token);
        if (endpoint == "/v1/embeddings")
        {
            var client = _processor.Client;
            var chunks = EmbeddingLineCoalescer.ChunkAsync(unanswered, client.Options.MaxEmbeddingInputsPerRequest, _signals.Token);
            var coalesced = new BatchOperation<IReadOnlyList<BatchInputLine>, GatewayResponse[]>(
                (chunk, telemetry, ct) => EmbeddingLineCoalescer.SendAsync(client, chunk, telemetry, ct),
                static _ => null);
            return EachLineAsync(_processor.StreamAsync(chunks, coalesced, endpoint, remaining, _progress, reportServers: false, _signals.Token));
        }

        var operation = new BatchOperation<BatchInputLine, GatewayResponse>(
            (line, telemetry, ct) => _processor.Client.SendAsync(endpoint, line.Body, telemetry, ct),
            static _ => null,
            BatchResultMapper.ErrorOf);
        return await PlanAsync(endpoint, files).ConfigureAwait(false) is { } plan
            ? _processor.StreamRunsAsync(plan.ReadRunsAsync(_signals.Token), operation, endpoint, remaining, _progress, _signals.Token)
            : _processor.StreamAsync(unanswered, operation, endpoint, remaining, _progress, reportServers: false, _signals.Token);
    }

    /// <summary>A coalesced chunk's outcome as each of its lines' own.</summary>
    private static async IAsyncEnumerable<(BatchInputLine Request, BatchItemResult<GatewayResponse> Result)> EachLineAsync(
        IAsyncEnumerable<(IReadOnlyList<BatchInputLine> Request, BatchItemResult<GatewayResponse[]> Result)> chunks)
    {
        await foreach (var (chunk, result) in chunks.ConfigureAwait(false))
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                var answer = result.Value?[i];
                yield return (chunk[i], new BatchItemResult<GatewayResponse>
                {
                    Index = chunk[i].Index,
                    Value = answer,
                    Error = answer is null ? result.Error : BatchResultMapper.ErrorOf(answer),
                    Attempts = result.Attempts,
                    Elapsed = result.Elapsed,
                });
            }
        }
    }

    /// <summary>
    /// The order of the unanswered requests when some share a prompt prefix and prefix affinity is on (not for
    /// embeddings, which have no prompt cache to reuse); <see langword="null"/> to send them in input order.
    /// </summary>
    private async Task<BatchRunPlan?> PlanAsync(string endpoint, BatchResultFiles files)
    {
        if (!_processor.Client.Options.UsePrefixAffinity || endpoint == "/v1/embeddings")
        {
            return null;
        }

        var lanes = await _processor.GetConcurrencyAsync(_signals.Token).ConfigureAwait(false);
        var plan = await BatchRunPlan.CreateAsync(_store, Current, files.Answered, lanes, _signals.Token).ConfigureAwait(false);
        if (plan is not null)
        {
            Log.BatchPlannedByPrefix(_logger, Current.Id, plan.Count, plan.Runs);
        }

        return plan;
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
