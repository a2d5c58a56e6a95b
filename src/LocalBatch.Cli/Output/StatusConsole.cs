using Spectre.Console;

namespace LocalBatch.Cli.Output;

/// <summary>
/// A command's stderr: its messages, filtered by verbosity, and its progress, as a live display (Spectre.Console) when
/// stderr is a terminal, whose messages are written above it, or as a plain line every few seconds otherwise. Safe to
/// write from any thread. A secret given to it (the API key) is never written: it is replaced by <c>***</c>. The library's
/// settings that its messages name (<c>LocalBatchOptions.AttemptTimeout</c>) are said as the command's flags
/// (<c>--timeout</c>) when the command gives them.
/// </summary>
internal sealed class StatusConsole(
    TextWriter error,
    IAnsiConsole? terminal,
    Verbosity verbosity,
    TimeProvider timeProvider,
    string? secret = null,
    IReadOnlyList<KeyValuePair<string, string>>? flags = null)
{
    private const string Prefix = "localbatch: ";
    private readonly Lock _gate = new();

    /// <summary>Gets how much is said.</summary>
    public Verbosity Verbosity => verbosity;

    /// <summary>Writes an error: always, even with <c>-q</c>.</summary>
    public void Error(string message) => Write(message);

    /// <summary>Writes what the command is doing, unless quiet.</summary>
    public void Info(string message)
    {
        if (verbosity >= Verbosity.Normal)
        {
            Write(message);
        }
    }

    /// <summary>Writes a detail shown only with <c>-v</c>.</summary>
    public void Detail(string message)
    {
        if (verbosity >= Verbosity.Verbose)
        {
            Write(message);
        }
    }

    /// <summary>Runs <paramref name="work"/> with a progress display fed by the <see cref="IProgress{T}"/> it is given (none when quiet).</summary>
    public async Task<T> WithProgressAsync<T>(TimeSpan plainInterval, Func<IProgress<BatchProgress>?, Task<T>> work)
    {
        if (verbosity == Verbosity.Quiet)
        {
            return await work(null).ConfigureAwait(false);
        }

        if (terminal is not null)
        {
            return await LiveProgress.RunAsync(terminal, work).ConfigureAwait(false);
        }

        return await work(new ProgressRenderer(line => Write(line), timeProvider, plainInterval)).ConfigureAwait(false);
    }

    private void Write(string message)
    {
        foreach (var (setting, flag) in flags ?? [])
        {
            message = message.Replace(setting, flag, StringComparison.Ordinal);
        }

        var line = Prefix + (secret is null ? message : message.Replace(secret, "***", StringComparison.Ordinal));
        if (terminal is not null)
        {
            // Through the live display, which draws the line above itself and itself again below.
            terminal.WriteLine(line);
            return;
        }

        lock (_gate)
        {
            error.WriteLine(line);
        }
    }
}
