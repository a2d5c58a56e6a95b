using System.Globalization;
using Spectre.Console;

namespace LocalBatch.Cli.Output;

/// <summary>
/// The live display's lines, as Spectre.Console markup fitted to a width: a bar and the counts for the batch, and for each
/// server (when there are several) its requests in flight of its limit. Parts are dropped, least useful first, rather
/// than letting a line wrap: a wrapped line is what leaves a trail of half-redrawn bars on a narrow terminal.
/// </summary>
internal static class ProgressLine
{
    /// <summary>The narrowest bar drawn; below it the bar is left out.</summary>
    public const int MinBarWidth = 10;

    /// <summary>The widest bar drawn.</summary>
    public const int MaxBarWidth = 40;

    /// <summary>The batch's line, at most <paramref name="width"/> characters wide.</summary>
    public static string Batch(BatchProgress progress, int width, bool unicode)
    {
        List<string> parts =
        [
            string.Create(CultureInfo.InvariantCulture, $"{progress.Completed}/{progress.Total?.ToString(CultureInfo.InvariantCulture) ?? "?"}"),
            string.Create(CultureInfo.InvariantCulture, $"{progress.Failed} failed"),
            string.Create(CultureInfo.InvariantCulture, $"{progress.RequestsPerSecond:0.0} req/s"),
            string.Create(CultureInfo.InvariantCulture, $"{ProgressRenderer.TokensPerSecond(progress):0} tok/s"),
            "ETA " + ProgressRenderer.FormatEta(progress),
        ];
        if (progress.IsYielding)
        {
            parts.Add(ProgressRenderer.Yielding);
        }

        // Dropped in this order when the line does not fit: tokens, then yielding, requests a second, the time left.
        int[] dropOrder = progress.IsYielding ? [3, 5, 2, 4] : [3, 2, 4];
        var fraction = progress.Total is int total and > 0 ? Math.Min(1.0, progress.Completed / (double)total) : 0;
        return Fit(parts, dropOrder, fraction, progress.Failed > 0 ? "red" : "green", width, unicode);
    }

    /// <summary>A server's line (shown under the batch's when there are several servers).</summary>
    public static string Server(ServerProgress server, int width, bool unicode)
    {
        List<string> parts =
        [
            "  " + server.Endpoint.Authority,
            string.Create(CultureInfo.InvariantCulture, $"{server.InFlight}/{server.Limit}{(server.InRotation ? string.Empty : " down")}"),
        ];
        var fraction = server.Limit > 0 ? Math.Min(1.0, server.InFlight / (double)server.Limit) : 0;
        var text = string.Join(" ", parts);
        var bar = Math.Min(20, width - text.Length - 1);
        return bar >= MinBarWidth
            ? Markup.Escape(parts[0]) + " " + Bar(fraction, bar, server.InRotation ? "blue" : "grey", unicode) + " " + Markup.Escape(parts[1])
            : Markup.Escape(Cut(text, width));
    }

    private static string Fit(List<string> parts, int[] dropOrder, double fraction, string colour, int width, bool unicode)
    {
        var dropped = new HashSet<int>();
        foreach (var next in dropOrder.Append(-1))
        {
            var text = string.Join("  ", parts.Where((_, i) => !dropped.Contains(i)));
            var bar = Math.Min(MaxBarWidth, width - text.Length - 1);
            if (bar >= MinBarWidth)
            {
                return Bar(fraction, bar, colour, unicode) + " " + Markup.Escape(text);
            }

            if (next < 0)
            {
                return Markup.Escape(Cut(text, width));
            }

            dropped.Add(next);
        }

        return string.Empty;
    }

    private static string Bar(double fraction, int width, string colour, bool unicode)
    {
        var filled = (int)Math.Round(width * fraction);
        var (done, left) = unicode ? ('━', '━') : ('#', '-');
        return $"[{colour}]{new string(done, filled)}[/][grey]{new string(left, width - filled)}[/]";
    }

    private static string Cut(string text, int width) => width <= 0 ? string.Empty : text.Length <= width ? text : text[..width];
}
