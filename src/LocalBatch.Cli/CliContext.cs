using Spectre.Console;

namespace LocalBatch.Cli;

/// <summary>Where the tool writes, what its streams are, and what interrupts it.</summary>
/// <param name="Out">Standard output: results and JSON.</param>
/// <param name="Error">Standard error: messages and progress.</param>
/// <param name="IsTerminal">Whether stderr is a terminal (for the live progress display).</param>
/// <param name="Interruption">Ctrl+C and SIGTERM.</param>
internal sealed record CliContext(TextWriter Out, TextWriter Error, bool IsTerminal, Interruption Interruption)
{
    /// <summary>Gets stderr as a Spectre.Console console when it is a terminal, else <see langword="null"/>.</summary>
    public IAnsiConsole? Terminal { get; init; }

    /// <summary>Gets stdout as a Spectre.Console console when it is a terminal (for tables), else <see langword="null"/>.</summary>
    public IAnsiConsole? OutputTerminal { get; init; }

    /// <summary>Gets how result files are put in place.</summary>
    public PublishOptions Publish { get; init; } = PublishOptions.Default;

    /// <summary>Gets the clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gets how long a run goes without a finished request before it says what it waits for.</summary>
    public TimeSpan StallNotice { get; init; } = Output.StallWatch.DefaultNoticeAfter;

    /// <summary>The context of the process: its console streams and signals.</summary>
    public static CliContext ForConsole(Interruption interruption)
    {
        var errorIsTerminal = !Console.IsErrorRedirected;
        return new CliContext(Console.Out, Console.Error, errorIsTerminal, interruption)
        {
            Terminal = errorIsTerminal ? CreateTerminal(Console.Error) : null,
            OutputTerminal = Console.IsOutputRedirected ? null : CreateTerminal(Console.Out),
        };
    }

    /// <summary>A context over the given writers; when <paramref name="isTerminal"/>, stderr gets a live display.</summary>
    public static CliContext ForWriters(TextWriter stdout, TextWriter stderr, bool isTerminal, Interruption interruption) =>
        new(stdout, stderr, isTerminal, interruption) { Terminal = isTerminal ? CreateTerminal(stderr) : null };

    /// <summary>A Spectre.Console console writing to <paramref name="writer"/>, interactive (colours as the terminal and NO_COLOR allow).</summary>
    public static IAnsiConsole CreateTerminal(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Yes,
    });
}
