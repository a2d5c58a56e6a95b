using LocalBatch.Cli;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Cli;

public sealed class ProgressRendererTests
{
    private static readonly BatchProgress s_half = new()
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
    public void FormatBar_Half_FillsHalfAndShowsCounts()
    {
        var bar = ProgressRenderer.FormatBar(s_half);

        Assert.Equal("[##############--------------] 5/10 done, 1 failed, 0.5 req/s, 20 tok/s, ETA 00:10", bar);
    }

    [Fact]
    public void Render_Terminal_RedrawsOneLineAndFinishEndsIt()
    {
        using var error = new StringWriter();
        var renderer = new ProgressRenderer(error, isTerminal: true, new FakeTimeProvider());

        renderer.Render(s_half);
        renderer.Render(s_half with { Completed = 10 });
        renderer.Finish();

        var text = error.ToString();
        Assert.Equal(2, text.Count(c => c == '\r'));
        Assert.Contains("[############################] 10/10 done", text, StringComparison.Ordinal);
        Assert.EndsWith("\u001b[K" + Environment.NewLine, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NotTerminal_WritesPlainLineEveryFiveSeconds()
    {
        using var error = new StringWriter();
        var time = new FakeTimeProvider();
        var renderer = new ProgressRenderer(error, isTerminal: false, time);

        renderer.Render(s_half);
        time.Advance(TimeSpan.FromSeconds(5));
        renderer.Render(s_half);
        renderer.Render(s_half);
        renderer.Finish();

        Assert.Equal(["progress: 5/10 done, 1 failed, 0.5 req/s, 20 tok/s, ETA 00:10"], error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain('\r', error.ToString());
    }

    [Fact]
    public void FormatCounts_SeveralServers_ShowsEachInFlightOfItsLimit()
    {
        var progress = s_half with
        {
            Servers =
            [
                new ServerProgress(new Uri("http://gpu1:8080"), true, 8, 8, 100, 0),
                new ServerProgress(new Uri("http://gpu2:8080"), false, 0, 2, 40, 3),
            ],
        };

        Assert.EndsWith("; gpu1:8080 8/8, gpu2:8080 0/2 down", ProgressRenderer.FormatCounts(progress), StringComparison.Ordinal);
        Assert.DoesNotContain("gpu1", ProgressRenderer.FormatCounts(s_half with { Servers = [progress.Servers[0]] }), StringComparison.Ordinal);
    }
}
