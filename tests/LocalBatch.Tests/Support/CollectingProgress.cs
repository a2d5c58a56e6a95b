using System.Collections.Concurrent;

namespace LocalBatch.Tests.Support;

/// <summary>An <see cref="IProgress{T}"/> that keeps every report synchronously (no synchronization-context posting).</summary>
internal sealed class CollectingProgress : IProgress<BatchProgress>
{
    private readonly ConcurrentQueue<BatchProgress> _reports = new();
    private readonly SemaphoreSlim _unseen = new(0);

    public IReadOnlyCollection<BatchProgress> Reports => _reports;

    public void Report(BatchProgress value)
    {
        _reports.Enqueue(value);
        _unseen.Release();
    }

    /// <summary>Waits for a report not yet waited for (each report satisfies one wait).</summary>
    public async Task WaitForReportAsync()
    {
        if (!await _unseen.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("No progress report came.");
        }
    }
}
