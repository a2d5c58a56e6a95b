using System.Collections.Concurrent;

namespace LocalBatch.Tests.Support;

/// <summary>An <see cref="IProgress{T}"/> that keeps every report synchronously (no synchronization-context posting).</summary>
internal sealed class CollectingProgress : IProgress<BatchProgress>
{
    private readonly ConcurrentQueue<BatchProgress> _reports = new();

    public IReadOnlyCollection<BatchProgress> Reports => _reports;

    public void Report(BatchProgress value) => _reports.Enqueue(value);
}
