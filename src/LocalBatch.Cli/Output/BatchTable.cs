using System.Globalization;
using LocalBatch.Batches;
using Spectre.Console;

namespace LocalBatch.Cli.Output;

/// <summary><c>batches list</c> for a person: a Spectre.Console table on a terminal, aligned plain lines otherwise.</summary>
internal static class BatchTable
{
    /// <summary>The table, fitted to the terminal by Spectre.Console.</summary>
    public static Table Create(IEnumerable<BatchJob> batches)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("ID")
            .AddColumn("STATUS")
            .AddColumn("ENDPOINT")
            .AddColumn(new TableColumn("DONE").RightAligned())
            .AddColumn(new TableColumn("FAILED").RightAligned())
            .AddColumn("CREATED");
        foreach (var job in batches)
        {
            var (done, failed, created) = Cells(job);
            table.AddRow(
                new Text(job.Id),
                new Markup($"[{Colour(job.Status)}]{Markup.Escape(job.Status.ToWireName())}[/]"),
                new Text(job.Endpoint),
                new Text(done),
                new Text(failed),
                new Text(created));
        }

        return table;
    }

    /// <summary>One line a batch under a header, columns aligned, no escape sequences: for pipes and files.</summary>
    public static IEnumerable<string> PlainLines(IEnumerable<BatchJob> batches)
    {
        yield return $"{"ID",-38} {"STATUS",-11} {"ENDPOINT",-22} {"DONE",11} {"FAILED",7} CREATED";
        foreach (var job in batches)
        {
            var (done, failed, created) = Cells(job);
            yield return $"{job.Id,-38} {job.Status.ToWireName(),-11} {job.Endpoint,-22} {done,11} {failed,7} {created}";
        }
    }

    private static (string Done, string Failed, string Created) Cells(BatchJob job) => (
        string.Create(CultureInfo.InvariantCulture, $"{job.RequestCounts.Completed + job.RequestCounts.Failed}/{job.RequestCounts.Total}"),
        job.RequestCounts.Failed.ToString(CultureInfo.InvariantCulture),
        DateTimeOffset.FromUnixTimeSeconds(job.CreatedAt).ToString("u", CultureInfo.InvariantCulture));

    private static string Colour(BatchStatus status) => status switch
    {
        BatchStatus.Completed => "green",
        BatchStatus.Failed or BatchStatus.Expired => "red",
        BatchStatus.Cancelled or BatchStatus.Cancelling => "yellow",
        _ => "blue",
    };
}
