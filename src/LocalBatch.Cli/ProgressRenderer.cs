using System.Globalization;

namespace LocalBatch.Cli;

/// <summary>Shows a batch's progress on stderr: a live bar on a terminal, a plain line every few seconds otherwise.</summary>
internal sealed class ProgressRenderer(TextWriter error, bool isTerminal, TimeProvider timeProvider) : IProgress<BatchProgress>
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    private const int BarWidth = 28;
    private long _lastPlain = timeProvider.GetTimestamp();
    private bool _drewBar;

    /// <summary>How often progress should be reported.</summary>
    public TimeSpan RefreshInterval => isTerminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1);

    /// <summary>Shows a progress report (called one report at a time).</summary>
    public void Report(BatchProgress value) => Render(value);

    public void Render(BatchProgress progress)
    {
        if (isTerminal)
        {
            error.Write("\r" + FormatBar(progress) + "\u001b[K");
            _drewBar = true;
        }
        else if (timeProvider.GetElapsedTime(_lastPlain) >= PlainInterval)
        {
            error.WriteLine("progress: " + FormatCounts(progress));
            _lastPlain = timeProvider.GetTimestamp();
        }
    }

    public void Finish()
    {
        if (_drewBar)
        {
            error.WriteLine();
            _drewBar = false;
        }
    }

    public static string FormatBar(BatchProgress progress)
    {
        var total = Math.Max(progress.Total ?? 0, 1);
        var filled = (int)Math.Round(BarWidth * Math.Min(1.0, progress.Completed / (double)total));
        return $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] {FormatCounts(progress)}";
    }

    public static string FormatCounts(BatchProgress progress)
    {
        var tokensPerSecond = progress.Elapsed > TimeSpan.Zero ? progress.CompletionTokens / progress.Elapsed.TotalSeconds : 0;
        var eta = progress.EstimatedRemaining is { } remaining ? FormatDuration(remaining) : "--:--";
        var counts = string.Create(
            CultureInfo.InvariantCulture,
            $"{progress.Completed}/{progress.Total} done, {progress.Failed} failed, {progress.RequestsPerSecond:0.0} req/s, {tokensPerSecond:0} tok/s, ETA {eta}");
        return progress.Servers.Count > 1 ? counts + "; " + FormatServers(progress.Servers) : counts;
    }

    /// <summary>Each server's requests in flight out of its limit, and whether it is out of the rotation.</summary>
    public static string FormatServers(IReadOnlyList<ServerProgress> servers) =>
        string.Join(", ", servers.Select(static server => string.Create(
            CultureInfo.InvariantCulture,
            $"{server.Endpoint.Authority} {server.InFlight}/{server.Limit}{(server.InRotation ? string.Empty : " down")}")));

    public static string FormatDuration(TimeSpan duration) =>
        duration.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}:{duration.Minutes:00}:{duration.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{duration.Minutes:00}:{duration.Seconds:00}");
}
