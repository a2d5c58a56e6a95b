namespace LocalBatch.Processing.Internal;

/// <summary>Thread-safe counters of a running batch, turned into <see cref="BatchProgress"/> snapshots.</summary>
internal sealed class BatchProgressTracker
{
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
        Report();
    }

    public void ItemCancelled() => Interlocked.Decrement(ref _inFlight);

    public void Report() => _progress?.Report(Snapshot());

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
}
