using System.Collections.Concurrent;

namespace LocalBatch.Tests.Support;

/// <summary>
/// Collects the exceptions of tasks that faulted with nobody looking (TaskScheduler.UnobservedTaskException) while it
/// is alive. It collects the garbage of earlier tests first, so that only what happens meanwhile is caught; call
/// <see cref="Collect"/> at the end to finalize whatever the code under test dropped.
/// </summary>
internal sealed class UnobservedTaskExceptions : IDisposable
{
    private readonly ConcurrentQueue<Exception> _exceptions = new();

    public UnobservedTaskExceptions()
    {
        FlushGarbage();
        TaskScheduler.UnobservedTaskException += OnUnobserved;
    }

    /// <summary>Finalizes every task dropped so far, then returns what was never observed.</summary>
    public IReadOnlyCollection<Exception> Collect()
    {
        FlushGarbage();
        return _exceptions;
    }

    public void Dispose() => TaskScheduler.UnobservedTaskException -= OnUnobserved;

    private static void FlushGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => _exceptions.Enqueue(e.Exception);
}
