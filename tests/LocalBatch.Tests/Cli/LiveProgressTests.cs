using System.Text.RegularExpressions;
using LocalBatch.Cli.Output;
using Spectre.Console;

namespace LocalBatch.Tests.Cli;

/// <summary>The live progress display on a terminal: nothing it draws is wider than the terminal.</summary>
public sealed partial class LiveProgressTests
{
    private static readonly BatchProgress s_busy = new()
    {
        Total = 250_000,
        Completed = 123_456,
        Failed = 1_234,
        Elapsed = TimeSpan.FromMinutes(42),
        RequestsPerSecond = 48.9,
        CompletionTokens = 45_000_000,
        EstimatedRemaining = TimeSpan.FromMinutes(43),
        Servers =
        [
            new ServerProgress(new Uri("http://gpu-box-number-one.example.internal:8080"), true, 8, 8, 60_000, 12),
            new ServerProgress(new Uri("http://gpu2:8080"), false, 0, 4, 30_000, 3),
            new ServerProgress(new Uri("http://127.0.0.1:8081"), true, 2, 2, 33_456, 0),
        ],
    };

    [Theory]
    [InlineData(200)]
    [InlineData(100)]
    [InlineData(80)]
    [InlineData(60)]
    [InlineData(40)]
    [InlineData(12)]
    public void Batch_AnyWidth_FitsIt(int width)
    {
        var line = Markup.Remove(ProgressLine.Batch(s_busy, width, unicode: true));

        Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}");
        Assert.StartsWith(width >= 40 ? "━" : "123456/", line, StringComparison.Ordinal);
        foreach (var server in s_busy.Servers)
        {
            Assert.True(Markup.Remove(ProgressLine.Server(server, width, unicode: true)).Length <= width);
        }
    }

    [Fact]
    public void Batch_Wide_ShowsEveryFigure_Narrow_DropsTheRatesFirst()
    {
        var wide = Markup.Remove(ProgressLine.Batch(s_busy, 120, unicode: false));
        var narrow = Markup.Remove(ProgressLine.Batch(s_busy, 60, unicode: false));

        Assert.EndsWith("123456/250000  1234 failed  48.9 req/s  17857 tok/s  ETA 43:00", wide, StringComparison.Ordinal);
        Assert.DoesNotContain("tok/s", narrow, StringComparison.Ordinal);
        Assert.Contains("1234 failed", narrow, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_On80Columns_DrawsNoLineWiderThanTheTerminalAndWritesMessagesAboveIt()
    {
        using var error = new StringWriter();
        var terminal = Terminal(error, width: 80);
        var console = new StatusConsole(error, terminal, Verbosity.Normal, TimeProvider.System);

        await console.WithProgressAsync(ProgressRenderer.PlainInterval, progress =>
        {
            progress!.Report(s_busy with { Completed = 1 });
            console.Info("retrying POST /v1/chat/completions in 1.0 s (attempt 2): The gateway answered 503 (unavailable_error) to /v1/chat/completions: Loading model.");
            progress.Report(s_busy);
            progress.Report(s_busy with { Completed = 250_000 });
            return Task.FromResult(0);
        });

        var lines = VisibleLines(error.ToString());
        Assert.Contains(lines, line => line.StartsWith("localbatch: retrying POST", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("250000/250000", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("gpu2:8080", StringComparison.Ordinal) && line.Contains("0/4 down", StringComparison.Ordinal));

        // Only the status line, which the terminal wraps like any message, may be longer: the display's lines never are.
        Assert.All(lines.Where(line => !line.StartsWith("localbatch:", StringComparison.Ordinal)), line => Assert.True(line.Length < 80, $"{line.Length}: {line}"));
    }

    /// <summary>A terminal of <paramref name="width"/> columns with colours and Unicode, writing to <paramref name="writer"/>.</summary>
    internal static IAnsiConsole Terminal(TextWriter writer, int width)
    {
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
        });
        terminal.Profile.Width = width;
        terminal.Profile.Capabilities.Unicode = true;
        return terminal;
    }

    /// <summary>What a terminal shows, line by line: escape sequences removed, split at line ends and carriage returns.</summary>
    internal static List<string> VisibleLines(string output) =>
        [.. Escapes().Replace(Colours().Replace(output, string.Empty), "\n").Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(static line => line.TrimEnd()).Where(static line => line.Length > 0)];

    // A cursor movement or erase is a line break for this purpose: the display redraws from the start of a line.
    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Escapes();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Colours();
}
