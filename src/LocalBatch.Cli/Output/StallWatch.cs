using System.Globalization;

namespace LocalBatch.Cli.Output;

/// <summary>
/// Says when a run stops making progress, rather than leave a frozen bar: once no request has finished for
/// <paramref name="noticeAfter"/> (<see cref="DefaultNoticeAfter"/> for the tool), a line says what the run waits for (requests in flight with no answer and where, or servers
/// out of the rotation), again each time the wait has doubled, and once more when requests finish again. Meanwhile the
/// progress it passes on shows no rate and no time left instead of the last ones. It is fed the batch's progress, which
/// comes every second or so whether or not anything finished, one report at a time.
/// </summary>
/// <param name="inner">The progress display, if any.</param>
/// <param name="console">Where the lines go (they are status lines: not shown with <c>-q</c>).</param>
/// <param name="time">The clock.</param>
/// <param name="attemptTimeout">How long one attempt may take (<c>--timeout</c>), to say so.</param>
/// <param name="noticeAfter">How long without a finished request before the run says what it waits for.</param>
internal sealed class StallWatch(IProgress<BatchProgress>? inner, StatusConsole console, TimeProvider time, TimeSpan attemptTimeout, TimeSpan noticeAfter) : IProgress<BatchProgress>
{
    /// <summary>How long without a finished request before the tool says what a run waits for: 30 seconds.</summary>
    public static readonly TimeSpan DefaultNoticeAfter = TimeSpan.FromSeconds(30);

    private long _since = time.GetTimestamp();
    private int _completed = -1;
    private TimeSpan _next; // set at the first report, which always counts as progress
    private bool _said;

    /// <inheritdoc/>
    public void Report(BatchProgress value)
    {
        var now = time.GetTimestamp();
        var waited = time.GetElapsedTime(_since, now);
        if (value.Completed != _completed)
        {
            if (_said)
            {
                console.Info($"requests finish again, after {Describe(waited)} without");
            }

            (_completed, _since, _next, _said) = (value.Completed, now, noticeAfter, false);
            inner?.Report(value);
            return;
        }

        if (waited >= _next)
        {
            console.Info(WhatItWaitsFor(value, waited));
            (_next, _said) = (waited * 2, true);
        }

        inner?.Report(waited >= noticeAfter ? value with { RequestsPerSecond = 0, EstimatedRemaining = null } : value);
    }

    private string WhatItWaitsFor(BatchProgress progress, TimeSpan waited)
    {
        var start = $"waiting: no request has finished for {Describe(waited)}";
        var inFlight = progress.Servers.Where(static server => server.InFlight > 0).ToList();
        if (inFlight.Count > 0)
        {
            var where = string.Join(", ", inFlight.Select(static server => string.Create(CultureInfo.InvariantCulture, $"{server.InFlight} at {Display(server.Endpoint)}")));
            var limit = attemptTimeout == Timeout.InfiniteTimeSpan
                ? "an attempt has no time limit (--timeout)"
                : $"an attempt is given up and sent again after {Describe(attemptTimeout)} (--timeout)";
            return $"{start}; requests in flight with no answer yet: {where}. The server has them and has not answered: it may be generating long answers, or be stuck; {limit}";
        }

        var down = progress.Servers.Where(static server => !server.InRotation).ToList();
        if (down.Count > 0 && down.Count == progress.Servers.Count)
        {
            return $"{start}; {string.Join(", ", down.Select(static server => Display(server.Endpoint)))} {(down.Count == 1 ? "is" : "are")} out of the rotation (see above): requests are retried with back-off until {(down.Count == 1 ? "it answers" : "one answers")} again";
        }

        return $"{start}, and none is in flight: requests wait for a retry's back-off or a free slot";
    }

    private static string Display(Uri server) => server.GetLeftPart(UriPartial.Path).TrimEnd('/');

    private static string Describe(TimeSpan duration) => CliDurations.Describe(TimeSpan.FromSeconds(Math.Round(duration.TotalSeconds)));
}
