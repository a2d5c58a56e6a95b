namespace LocalBatch.Processing.Internal;

/// <summary>
/// Thread-safe counters of a running batch, turned into <see cref="BatchProgress"/> snapshots. The caller's progress gets
/// one report for each item that finishes, one at a time and in order (<see cref="BatchProgress.Completed"/> 1, 2, … up
/// to the total, each once), and a closing report only when it would say something new (an empty batch, a total
/// learned at the end): the final count is reported once.
/// </summary>
internal sealed class BatchProgressTracker
{
    private readonly Lock _reportGate = new();
    private readonly IProgress<BatchProgress>? _progress;
    private readonly TimeProvider _timeProvider;
    private readonly Func<IReadOnlyList<ServerProgress>>? _servers;
    private readonly long _started;
    private int _total;
    private int _completed;
    private int _failed;
    private int _inFlight;
    private long _promptTokens;
    private long _completionTokens;
    private (int Completed, int Total)? _lastReported;

    // servers: each server's figures, for reports to a caller's progress; none for internal ones (taken per report).
    public BatchProgressTracker(int? total, IProgress<BatchProgress>? progress, TimeProvider timeProvider, Func<IReadOnlyList<ServerProgress>>? servers = null)
    {
        _servers = servers;
        _total = total ?? -1;
        _progress = progress;
        _timeProvider = timeProvider;
        _started = timeProvider.GetTimestamp();
    }

    public void SetTotal(int total) => Volatile.Write(ref _total, total);

    public void ItemStarted() => Interlocked.Increment(ref _inFlight);

    public void ItemFinished(bool success, Usage? usage)
    {
        if (_progress is null)
        {
            // Nobody to report to: the counters alone, without the lock every lane would meet on each item.
            Count(success, usage);
            return;
        }

        // Counted and reported under one lock, so that each count is reported once and the reports come in order.
        lock (_reportGate)
        {
            Count(success, usage);
            ReportLocked();
        }
    }

    public void ItemCancelled() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Reports the counts as they stand, unless the last report gave them already (the closing report of a run).</summary>
    public void Report()
    {
        lock (_reportGate)
        {
            if (_lastReported != (Volatile.Read(ref _completed), Volatile.Read(ref _total)))
            {
                ReportLocked();
            }
        }
    }

    public BatchProgress Snapshot()
    {
        var elapsed = _timeProvider.GetElapsedTime(_started);
        var completed = Volatile.Read(ref _completed);
        var total = Volatile.Read(ref _total);
        var rate = elapsed > TimeSpan.Zero ? completed / elapsed.TotalSeconds : 0;
        TimeSpan? remaining = total >= 0 && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - completed) / rate) : null;
        return new BatchProgress
        {
            Total = total >= 0 ? total : null,
            Completed = completed,
            Failed = Volatile.Read(ref _failed),
            InFlight = Volatile.Read(ref _inFlight),
            Elapsed = elapsed,
            RequestsPerSecond = rate,
            PromptTokens = Interlocked.Read(ref _promptTokens),
            CompletionTokens = Interlocked.Read(ref _completionTokens),
            EstimatedRemaining = remaining,
            Servers = _servers?.Invoke() ?? [],
        };
    }

    private void Count(bool success, Usage? usage)
    {
        if (usage is not null)
        {
            Interlocked.Add(ref _promptTokens, usage.PromptTokens);
            Interlocked.Add(ref _completionTokens, usage.CompletionTokens);
        }

        if (!success)
        {
            Interlocked.Increment(ref _failed);
        }

        Interlocked.Increment(ref _completed);
        Interlocked.Decrement(ref _inFlight);
    }

    private void ReportLocked()
    {
        if (_progress is null)
        {
            return;
        }

        var snapshot = Snapshot();
        _lastReported = (snapshot.Completed, snapshot.Total ?? -1);
        _progress.Report(snapshot);
    }
}
