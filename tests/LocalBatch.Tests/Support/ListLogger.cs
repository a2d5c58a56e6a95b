using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Tests.Support;

/// <summary>Keeps every formatted log line (with its exception, when it has one), and signals when one containing a text arrives.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<(string Text, TaskCompletionSource Signal)> _waiters = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = exception is null ? $"{logLevel}: {formatter(state, exception)}" : $"{logLevel}: {formatter(state, exception)} | {exception}";
        _lines.Enqueue(line);
        foreach (var (text, signal) in _waiters)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                signal.TrySetResult();
            }
        }
    }

    public Task WaitForAsync(string text)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Enqueue((text, signal));
        if (_lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            signal.TrySetResult();
        }

        return signal.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
