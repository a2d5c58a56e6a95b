using System.Globalization;

namespace LocalBatch.Cli.Output;

/// <summary>
/// Shows a batch's progress where stderr is not a terminal (a log file, CI): a plain <c>progress: …</c> line every few
/// seconds, never a carriage return or an escape sequence. Also formats the counts for the live display.
/// </summary>
internal sealed class ProgressRenderer(Action<string> writeLine, TimeProvider timeProvider, TimeSpan interval) : IProgress<BatchProgress>
{
    /// <summary>How often a plain line is written by default.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private long _lastLine = timeProvider.GetTimestamp();

    /// <summary>Writes a line when the interval has passed since the last one (called one report at a time).</summary>
    public void Report(BatchProgress value)
    {
        if (timeProvider.GetElapsedTime(_lastLine) >= interval)
        {
            writeLine("progress: " + FormatCounts(value));
            _lastLine = timeProvider.GetTimestamp();
        }
    }

    /// <summary>What the progress says while batch work leaves slots free for people using the server.</summary>
    public const string Yielding = "yielding to interactive requests";

    /// <summary>The counts as one line: done of total, failed, rates, time left, and each server when there are several.</summary>
    public static string FormatCounts(BatchProgress progress)
    {
        var counts = string.Create(
            CultureInfo.InvariantCulture,
            $"{progress.Completed}/{progress.Total} done, {progress.Failed} failed, {progress.RequestsPerSecond:0.0} req/s, {TokensPerSecond(progress):0} tok/s, ETA {FormatEta(progress)}");
        counts = progress.IsYielding ? counts + ", " + Yielding : counts;
        return progress.Servers.Count > 1 ? counts + "; " + FormatServers(progress.Servers) : counts;
    }

    /// <summary>Each server's requests in flight out of its limit, and whether it is out of the rotation.</summary>
    public static string FormatServers(IReadOnlyList<ServerProgress> servers) =>
        string.Join(", ", servers.Select(static server => string.Create(
            CultureInfo.InvariantCulture,
            $"{server.Endpoint.Authority} {server.InFlight}/{server.Limit}{(server.InRotation ? string.Empty : " down")}")));

    /// <summary>Generated tokens a second so far.</summary>
    public static double TokensPerSecond(BatchProgress progress) =>
        progress.Elapsed > TimeSpan.Zero ? progress.CompletionTokens / progress.Elapsed.TotalSeconds : 0;

    /// <summary>The time left, or <c>--:--</c> while unknown.</summary>
    public static string FormatEta(BatchProgress progress) =>
        progress.EstimatedRemaining is { } remaining ? FormatDuration(remaining) : "--:--";

    /// <summary><c>mm:ss</c>, or <c>h:mm:ss</c> from an hour.</summary>
    public static string FormatDuration(TimeSpan duration) =>
        duration.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}:{duration.Minutes:00}:{duration.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{duration.Minutes:00}:{duration.Seconds:00}");
}
