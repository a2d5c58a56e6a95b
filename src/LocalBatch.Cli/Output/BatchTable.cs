using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Cli.Commands;
using LocalBatch.Cli.Run;
using Spectre.Console;

namespace LocalBatch.Cli.Output;

/// <summary>
/// <c>batches list</c> for a person: one line a batch under a header, in columns that fit 80 characters — the short id,
/// the status (<c>interrupted</c> for an unfinished batch that no process runs), the lines done of all, the failed
/// ones, when it was made, and its input file (with its owner, the key that created it through <c>serve --keys</c>, when
/// it has one). On a terminal the status is coloured and the input is cut from the left
/// to the window's width; in a pipe the lines are plain, the input whole.
/// </summary>
internal static class BatchTable
{
    /// <summary>What an unfinished batch that no process runs is shown as.</summary>
    public const string Interrupted = "interrupted";

    private const int FixedWidth = 8 + 2 + 11 + 2 + 11 + 2 + 6 + 2 + 16 + 2;
    private const int MinInputWidth = 12;

    /// <summary>One batch as listed.</summary>
    /// <param name="Job">The batch.</param>
    /// <param name="IsRunning">Whether a process runs it now.</param>
    public sealed record Row(BatchJob Job, bool IsRunning)
    {
        /// <summary>Gets the status shown: the batch's, or <see cref="Interrupted"/>.</summary>
        public string Status => !Job.IsTerminal && !IsRunning ? Interrupted : Job.Status.ToWireName();
    }

    /// <summary>The header and a line a batch, plain: for pipes and files.</summary>
    public static IEnumerable<string> PlainLines(IEnumerable<Row> rows, TimeZoneInfo timeZone)
    {
        yield return Header();
        foreach (var row in rows)
        {
            yield return Line(row, timeZone, $"{row.Status,-11}", InputCell(row.Job));
        }
    }

    /// <summary>The header and a line a batch as Spectre.Console markup, each shorter than <paramref name="width"/> characters.</summary>
    public static IEnumerable<string> MarkupLines(IEnumerable<Row> rows, TimeZoneInfo timeZone, int width)
    {
        yield return Markup.Escape(Header());
        // One column short of the edge: a terminal that wraps at the last column would otherwise add a blank line.
        var inputWidth = Math.Max(MinInputWidth, width - 1 - FixedWidth);
        foreach (var row in rows)
        {
            var status = $"[{Colour(row)}]{Markup.Escape(row.Status)}[/]{new string(' ', Math.Max(0, 11 - row.Status.Length))}";
            yield return Line(row, timeZone, status, Markup.Escape(CutLeft(InputCell(row.Job), inputWidth)));
        }
    }

    /// <summary>
    /// The input a batch was made from: the file <c>localbatch run</c> ran (relative to the current directory when it is
    /// under it; a retry of the failed lines says so), else the id of the uploaded input file (<c>serve</c>, the library).
    /// </summary>
    public static string InputOf(BatchJob job)
    {
        if (job.Metadata is not { } metadata || !metadata.TryGetValue(FileRun.SourceKey, out var source))
        {
            return job.InputFileId;
        }

        var relative = Path.GetRelativePath(Environment.CurrentDirectory, source);
        var shown = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? source : relative;
        return metadata.TryGetValue(FileRun.RetryKey, out var retry) ? $"{shown} (retry {retry})" : shown;
    }

    /// <summary>The input, and the owner after it when the batch has one (kept in view when the cell is cut from the left).</summary>
    private static string InputCell(BatchJob job) => job.Owner is { } owner ? $"{InputOf(job)} (owner {owner})" : InputOf(job);

    private static string Header() =>
        $"{"ID",-8}  {"STATUS",-11}  {"DONE",11}  {"FAILED",6}  {"CREATED",-16}  INPUT";

    /// <summary>A batch's line with its status and input cells as given (plain or markup; the other cells need no escaping).</summary>
    private static string Line(Row row, TimeZoneInfo timeZone, string status, string input)
    {
        var counts = row.Job.RequestCounts;
        var done = string.Create(CultureInfo.InvariantCulture, $"{counts.Completed + counts.Failed}/{counts.Total}");
        var created = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(row.Job.CreatedAt), timeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{BatchIds.Short(row.Job.Id),-8}  {status}  {done,11}  {counts.Failed,6}  {created,-16}  {input}");
    }

    private static string CutLeft(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];

    private static string Colour(Row row) => row.Status switch
    {
        Interrupted => "yellow",
        _ => row.Job.Status switch
        {
            BatchStatus.Completed => row.Job.RequestCounts.Failed > 0 ? "yellow" : "green",
            BatchStatus.Failed or BatchStatus.Expired => "red",
            BatchStatus.Cancelled or BatchStatus.Cancelling => "yellow",
            _ => "blue",
        },
    };
}
