using LocalBatch.Cli.Output;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Cli;

public sealed class ProgressRendererTests
{
    internal static readonly BatchProgress Half = new()
    {
        Total = 10,
        Completed = 5,
        Failed = 1,
        Elapsed = TimeSpan.FromSeconds(10),
        RequestsPerSecond = 0.5,
        CompletionTokens = 200,
        EstimatedRemaining = TimeSpan.FromSeconds(10),
    };

    [Theory]
    [InlineData(0, "00:00")]
    [InlineData(59, "00:59")]
    [InlineData(61, "01:01")]
    [InlineData(3725, "1:02:05")]
    [InlineData(90000, "25:00:00")]
    public void FormatDuration_Seconds_FormatsMinutesOrHours(int seconds, string expected) =>
        Assert.Equal(expected, ProgressRenderer.FormatDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Report_EveryInterval_WritesOnePlainLine()
    {
        var lines = new List<string>();
        var time = new FakeTimeProvider();
        var renderer = new ProgressRenderer(lines.Add, time, ProgressRenderer.PlainInterval);

        renderer.Report(Half);
        time.Advance(TimeSpan.FromSeconds(5));
        renderer.Report(Half);
        renderer.Report(Half);

        Assert.Equal(["progress: 5/10 done, 1 failed, 0.5 req/s, 20 tok/s, ETA 00:10"], lines);
    }

    [Fact]
    public void FormatCounts_SeveralServers_ShowsEachInFlightOfItsLimit()
    {
        var progress = Half with
        {
            Servers =
            [
                new ServerProgress(new Uri("http://gpu1:8080"), true, 8, 8, 100, 0),
                new ServerProgress(new Uri("http://gpu2:8080"), false, 0, 2, 40, 3),
            ],
        };

        Assert.EndsWith("; gpu1:8080 8/8, gpu2:8080 0/2 down", ProgressRenderer.FormatCounts(progress), StringComparison.Ordinal);
        Assert.DoesNotContain("gpu1", ProgressRenderer.FormatCounts(Half with { Servers = [progress.Servers[0]] }), StringComparison.Ordinal);
    }
}
