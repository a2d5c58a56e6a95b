namespace LocalBatch.Cli;

/// <summary>Where the tool writes, and whether stderr is a terminal (for the live progress bar).</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, bool IsTerminal);
