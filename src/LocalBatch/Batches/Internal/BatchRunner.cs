using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Runs one batch to its end: streams the stored input through the processor (skipping every
/// <c>custom_id</c> already answered), appends each outcome to the output or error file as it finishes, keeps
/// the state file current, and finishes the lifecycle (completed, cancelled or expired).
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
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<BatchJob> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LatestProgress _progress = new();
    private readonly Lock _gate = new();
    private BatchJob _job;
    private int _stopReason;
    private long _inputTokens;
    private long _outputTokens;
    private long _cachedTokens;
    private long _reasoningTokens;
    private long _runInputTokensFrom = -1;
    private long _runOutputTokensFrom = -1;
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
    }

    public BatchJob Current => Volatile.Read(ref _job);

    /// <summary>Completes with the batch's final state (or its state at shutdown).</summary>
    public Task<BatchJob> Completion => _completion.Task;

    /// <summary>Starts the run; a cancellation asked for while nobody ran the batch (the marker file) applies at once.</summary>
    public void Start()
    {
        WatchCancelRequest();
        _run = Task.Run(RunAsync);
    }

    public void RequestStop(BatchStopReason reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, (int)reason, (int)BatchStopReason.None) == (int)BatchStopReason.None)
        {
            if (reason == BatchStopReason.Cancel)
            {
                var now = _time.GetUtcNow().ToUnixTimeSeconds();
                Update(job => job.IsTerminal ? job : job with { Status = BatchStatus.Cancelling, CancellingAt = job.CancellingAt ?? now });
            }

            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // A timer (expiry, cancel watch) fired as the runner was being disposed: it has stopped already.
            }
        }
    }

    public BatchProgress Progress()
    {
        var job = Current;
        var run = _progress.Latest;
        var done = job.RequestCounts.Completed + job.RequestCounts.Failed;
        var rate = run?.RequestsPerSecond ?? 0;
        return new BatchProgress
        {
            Total = job.RequestCounts.Total,
            Completed = done,
            Failed = job.RequestCounts.Failed,
            InFlight = run?.InFlight ?? 0,
            Elapsed = run?.Elapsed ?? TimeSpan.Zero,
            RequestsPerSecond = rate,
            // This run's tokens, like its rate and elapsed time (a resumed batch's earlier tokens are in its usage).
            PromptTokens = TokensOfThisRun(ref _inputTokens, ref _runInputTokensFrom),
            CompletionTokens = TokensOfThisRun(ref _outputTokens, ref _runOutputTokensFrom),
            EstimatedRemaining = rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, job.RequestCounts.Total - done) / rate) : null,
        };
    }

    private static long TokensOfThisRun(ref long total, ref long from) =>
        Volatile.Read(ref from) is >= 0 and var start ? Interlocked.Read(ref total) - start : 0;

    public async ValueTask DisposeAsync()
    {
        RequestStop(BatchStopReason.Shutdown);
        if (_run is not null)
        {
            await _run.ConfigureAwait(false);
        }

        _stop.Dispose();
        await _lock.DisposeAsync().ConfigureAwait(false);
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
        var id = Current.Id;
        var (output, errors, answered, completed, failed) = await OpenResultsAsync(id).ConfigureAwait(false);
        await using var outputScope = output.ConfigureAwait(false);
        await using var errorsScope = errors.ConfigureAwait(false);

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        Update(job => job with
        {
            Status = job.Status == BatchStatus.Cancelling ? BatchStatus.Cancelling : BatchStatus.InProgress,
            InProgressAt = job.InProgressAt ?? now,
            RequestCounts = job.RequestCounts with { Completed = completed, Failed = failed },
        });
        await SaveAsync(output, errors).ConfigureAwait(false);

        if (Current.Status == BatchStatus.Cancelling)
        {
            RequestStop(BatchStopReason.Cancel);
        }

        using var expiry = StartExpiryTimer();
        using var cancelWatch = StartCancelWatch();

        var endpoint = Current.Endpoint;
        var operation = new BatchOperation<BatchInputLine, GatewayResponse>(
            (line, telemetry, ct) => _processor.Client.SendAsync(endpoint, line.Body, telemetry, ct),
            static _ => null,
            static response => response.IsSuccess ? null : ErrorOf(response));
        var lastPersist = _time.GetTimestamp();
        try
        {
            var pending = ReadPendingAsync(answered, _stop.Token);
            var remaining = Current.RequestCounts.Total - completed - failed;
            await foreach (var (request, result) in _processor.StreamAsync(pending, operation, endpoint, remaining, _progress, _stop.Token).ConfigureAwait(false))
            {
                if (result.Error is { Kind: GatewayErrorKind.Unreachable } unreachable && !await ServerAnswersAsync().ConfigureAwait(false))
                {
                    // The server is gone, after every retry: every request after this one would fail the same way.
                    // The run stops with this one and the rest unanswered (the batch stays in_progress), to resume
                    // when the server is back, rather than burning the batch into server_unreachable lines. (When
                    // the server does answer, only this request breaks its connection: it gets its error line.)
                    await SaveAsync(output, errors).ConfigureAwait(false);
                    throw new LocalGatewayException(
                        $"The server stopped answering, so batch '{id}' stopped with {Current.RequestCounts.Total - Current.RequestCounts.Completed - Current.RequestCounts.Failed} requests unanswered; resume it once the server is back. {unreachable.Message}",
                        unreachable.Exception);
                }

                var line = ToResultLine(request, result);
                if (line.Response is { StatusCode: >= 200 and < 300 })
                {
                    output.Append(line);
                    AddUsage(line);
                    Update(job => job with { RequestCounts = job.RequestCounts with { Completed = job.RequestCounts.Completed + 1 } });
                }
                else
                {
                    errors.Append(line);
                    Update(job => job with { RequestCounts = job.RequestCounts with { Failed = job.RequestCounts.Failed + 1 } });
                }

                answered[request.Index] = true;
                if (_time.GetElapsedTime(lastPersist) >= PersistInterval)
                {
                    await SaveAsync(output, errors).ConfigureAwait(false);
                    lastPersist = _time.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped on purpose; what happens to the rest depends on why.
        }

        var reason = (BatchStopReason)Volatile.Read(ref _stopReason);
        now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (reason == BatchStopReason.Shutdown)
        {
            await SaveAsync(output, errors).ConfigureAwait(false);
            return Current;
        }

        if (reason is BatchStopReason.Cancel or BatchStopReason.Expire)
        {
            var (code, message) = reason == BatchStopReason.Cancel
                ? ("batch_cancelled", "The batch was cancelled before this request ran.")
                : ("batch_expired", "The batch's completion window ended before this request ran.");
            // Saved first (with every line so far), so that a crash while the unrun lines are recorded resumes
            // into recording the rest, never into running them.
            await SaveAsync(output, errors).ConfigureAwait(false);
            var unrun = 0;
            await foreach (var request in ReadPendingAsync(answered, CancellationToken.None).ConfigureAwait(false))
            {
                errors.Append(new BatchResultLine(NewLineId(), request.CustomId, null, new BatchLineError(code, message)));
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
            await SaveAsync(output, errors).ConfigureAwait(false);
            Update(job => job with { Status = BatchStatus.Completed, CompletedAt = _time.GetUtcNow().ToUnixTimeSeconds() });
        }

        Update(job => job with
        {
            OutputFileId = output.LineCount > 0 ? BatchFileIds.Output(job.Id) : null,
            ErrorFileId = errors.LineCount > 0 ? BatchFileIds.Errors(job.Id) : null,
        });
        await SaveAsync(output, errors).ConfigureAwait(false);
        TryDelete(_store.CancelRequestPath(id));
        return Current;
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

    /// <summary>
    /// Opens the output and error files (cutting a torn last line) and marks every request they already answer,
    /// with one bit a request by its place in the input; the ids read are forgotten once marked.
    /// </summary>
    private async Task<(BatchResultFile Output, BatchResultFile Errors, BitArray Answered, int Completed, int Failed)> OpenResultsAsync(string id)
    {
        var earlier = new CustomIdSet();
        var completed = 0;
        var failed = 0;
        var output = await BatchResultFile.OpenAsync(_store.OutputPath(id), line => { earlier.Add(line.CustomId); completed++; AddUsage(line); }, CancellationToken.None).ConfigureAwait(false);
        BatchResultFile? errors = null;
        try
        {
            errors = await BatchResultFile.OpenAsync(_store.ErrorPath(id), line => { earlier.Add(line.CustomId); failed++; }, CancellationToken.None).ConfigureAwait(false);
            var answered = new BitArray(Current.RequestCounts.Total);
            if (earlier.Count > 0)
            {
                earlier.Seal();
                await foreach (var line in ReadInputAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    answered[line.Index] = earlier.Contains(line.CustomId);
                }
            }

            Volatile.Write(ref _runInputTokensFrom, Interlocked.Read(ref _inputTokens));
            Volatile.Write(ref _runOutputTokensFrom, Interlocked.Read(ref _outputTokens));
            return (output, errors, answered, completed, failed);
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

    private async IAsyncEnumerable<BatchInputLine> ReadPendingAsync(BitArray answered, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var line in ReadInputAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!answered[line.Index])
            {
                yield return line;
            }
        }
    }

    private async IAsyncEnumerable<BatchInputLine> ReadInputAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var total = Current.RequestCounts.Total;
        var stream = new FileStream(_store.InputPath(Current.Id), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        using var reader = new StreamReader(stream);
        var index = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (index == total)
            {
                throw new InvalidDataException($"The stored input of batch '{Current.Id}' has more than the {total} requests its state records.");
            }

            yield return BatchInputValidator.ParseStoredLine(text, index++);
        }
    }

    private static BatchResultLine ToResultLine(BatchInputLine request, BatchItemResult<GatewayResponse> result)
    {
        if (result.Value is { } response)
        {
            return new BatchResultLine(NewLineId(), request.CustomId, new BatchResponse(response.StatusCode, response.RequestId ?? NewRequestId(), response.Body), null);
        }

        var error = result.Error!;
        var code = error.Kind switch
        {
            GatewayErrorKind.Unreachable => "server_unreachable",
            GatewayErrorKind.Timeout => "timeout",
            GatewayErrorKind.InvalidResponse => "invalid_response",
            _ => "request_failed",
        };
        return new BatchResultLine(NewLineId(), request.CustomId, null, new BatchLineError(code, error.Message));
    }

    private static BatchItemError ErrorOf(GatewayResponse response)
    {
        var (type, message) = LocalGatewayException.ReadErrorBody(response.Body);
        var kind = GatewayErrorClassifier.IsTransientStatus(response.StatusCode, message) ? GatewayErrorKind.Server : GatewayErrorKind.Request;
        return new BatchItemError(kind, response.StatusCode, type, message ?? $"The server answered {response.StatusCode}.");
    }

    private void AddUsage(BatchResultLine line)
    {
        if (line.Response?.Body is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            Interlocked.Add(ref _inputTokens, ReadCount(usage, "prompt_tokens"));
            Interlocked.Add(ref _outputTokens, ReadCount(usage, "completion_tokens"));
            Interlocked.Add(ref _cachedTokens, ReadCount(usage, "prompt_tokens_details", "cached_tokens"));
            Interlocked.Add(ref _reasoningTokens, ReadCount(usage, "completion_tokens_details", "reasoning_tokens"));
        }

        static long ReadCount(JsonElement usage, string name, string? detail = null)
        {
            if (!usage.TryGetProperty(name, out var value))
            {
                return 0;
            }

            if (detail is not null && (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(detail, out value)))
            {
                return 0;
            }

            return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;
        }
    }

    private BatchUsage UsageNow()
    {
        var input = Interlocked.Read(ref _inputTokens);
        var output = Interlocked.Read(ref _outputTokens);
        return new BatchUsage(input, output, input + output)
        {
            InputTokensDetails = new BatchInputTokensDetails(Interlocked.Read(ref _cachedTokens)),
            OutputTokensDetails = new BatchOutputTokensDetails(Interlocked.Read(ref _reasoningTokens)),
        };
    }

    private ITimer? StartExpiryTimer()
    {
        if (Current.ExpiresAt is not { } expiresAt)
        {
            return null;
        }

        var due = DateTimeOffset.FromUnixTimeSeconds(expiresAt) - _time.GetUtcNow();
        if (due <= TimeSpan.Zero)
        {
            RequestStop(BatchStopReason.Expire);
            return null;
        }

        return _time.CreateTimer(_ => RequestStop(BatchStopReason.Expire), null, due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Looks for the cancel marker every second. The timer re-arms itself after each look rather than being periodic,
    /// so that a clock moved on by hours (a test's) looks once, not once for every second it skipped.
    /// </summary>
    private ITimer StartCancelWatch()
    {
        ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                WatchCancelRequest();
                try
                {
                    timer?.Change(PersistInterval, Timeout.InfiniteTimeSpan);
                }
                catch (ObjectDisposedException)
                {
                    // The run ended meanwhile.
                }
            },
            null,
            PersistInterval,
            Timeout.InfiniteTimeSpan);
        return timer;
    }

    /// <summary>Another process (<c>localbatch batches cancel</c>) asks for cancellation by leaving a marker file.</summary>
    private void WatchCancelRequest()
    {
        try
        {
            if (File.Exists(_store.CancelRequestPath(Current.Id)))
            {
                RequestStop(BatchStopReason.Cancel);
            }
        }
        catch (IOException)
        {
            // Checked again at the next tick.
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
    private Task SaveAsync(BatchResultFile output, BatchResultFile errors)
    {
        output.FlushToDisk();
        errors.FlushToDisk();
        Update(job => job with { Usage = UsageNow() });
        return _store.WriteStateAsync(Current, CancellationToken.None);
    }

    private static string NewLineId() => "batch_req_" + Guid.NewGuid().ToString("N");

    private static string NewRequestId() => "req_" + Guid.NewGuid().ToString("N");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover marker is harmless: the batch is already in an end state.
        }
    }

    /// <summary>Keeps the last progress snapshot of the running stream.</summary>
    private sealed class LatestProgress : IProgress<BatchProgress>
    {
        private BatchProgress? _latest;

        public BatchProgress? Latest => Volatile.Read(ref _latest);

        public void Report(BatchProgress value) => Volatile.Write(ref _latest, value);
    }
}
