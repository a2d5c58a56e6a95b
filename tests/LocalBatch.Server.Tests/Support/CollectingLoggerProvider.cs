using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Server.Tests.Support;

/// <summary>Keeps every log line the server writes, at every level, with its exception, to look for secrets in; a line can be waited for.</summary>
internal sealed class CollectingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Lock _gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Line)> _waiters = [];

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    /// <summary>Waits (at most 30 seconds) for a line that <paramref name="match"/> accepts, written before or after the call.</summary>
    public Task<string> WaitForAsync(Func<string, bool> match)
    {
        var line = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_lines.FirstOrDefault(match) is { } written)
            {
                return Task.FromResult(written);
            }

            _waiters.Add((match, line));
        }

        return line.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line);
            foreach (var waiter in _waiters.Where(waiter => waiter.Match(line)))
            {
                waiter.Line.TrySetResult(line);
            }
        }
    }

    private sealed class Logger(string category, CollectingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Add($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
