using System.Globalization;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Cli.Output;

/// <summary>
/// Turns the library's log events into one-line status messages on stderr, by verbosity. At the default: retries (the
/// same reason at most once every <see cref="RepeatInterval"/>, with how many were not shown), a model loading, a server
/// that does not answer or comes back, and other warnings. With <c>-v</c>: every event down to Debug, every retry. With
/// <c>-q</c>: none (the command reports its own errors). Trace, which carries request bodies, is never enabled, and the
/// console replaces the API key wherever it would appear.
/// </summary>
internal sealed class StatusLoggerProvider(StatusConsole console, TimeProvider timeProvider) : ILoggerProvider
{
    /// <summary>How long a retry for the same reason is not reported again at the default verbosity.</summary>
    public static readonly TimeSpan RepeatInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Shown, int Hidden)> _retries = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new StatusLogger(this);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private bool IsEnabled(LogLevel level) => console.Verbosity switch
    {
        Verbosity.Verbose => level >= LogLevel.Debug,
        Verbosity.Normal => level >= LogLevel.Information,
        _ => false,
    };

    private void Write<TState>(LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(level))
        {
            return;
        }

        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        if (console.Verbosity == Verbosity.Verbose)
        {
            var detail = exception is null ? string.Empty : ": " + exception.Message;
            console.Detail(OneLine($"{LevelName(level)}: {formatter(state, exception)}{detail}"));
            return;
        }

        if (StatusMessages.Describe(eventId.Id, level, values, () => formatter(state, exception)) is not { } message)
        {
            return;
        }

        if (eventId.Id == StatusMessages.RetryingRequest && Throttle(StatusMessages.Value(values, "Reason")) is var hidden and >= 0)
        {
            console.Info(OneLine(hidden > 0 ? string.Create(CultureInfo.InvariantCulture, $"{message} ({hidden} more retries since)") : message));
        }
        else if (eventId.Id != StatusMessages.RetryingRequest)
        {
            console.Info(OneLine(message));
        }
    }

    /// <summary>-1 when a retry for this reason was shown less than <see cref="RepeatInterval"/> ago; else the retries not shown since.</summary>
    private int Throttle(string reason)
    {
        lock (_gate)
        {
            var now = timeProvider.GetTimestamp();
            if (_retries.TryGetValue(reason, out var last) && timeProvider.GetElapsedTime(last.Shown, now) < RepeatInterval)
            {
                _retries[reason] = (last.Shown, last.Hidden + 1);
                return -1;
            }

            _retries[reason] = (now, 0);
            return last.Hidden;
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        _ => "error",
    };

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= 400 ? line : line[..400] + "…";
    }

    private sealed class StatusLogger(StatusLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => provider.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Write(logLevel, eventId, state, exception, formatter);
    }
}
