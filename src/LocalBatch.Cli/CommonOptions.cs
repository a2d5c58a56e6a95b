using System.CommandLine;
using LocalBatch.Cli.Output;

namespace LocalBatch.Cli;

/// <summary>Options shared by the commands.</summary>
internal static class CommonOptions
{
    public const string DefaultStateDirectory = ".localbatch";

    public static Option<string> StateDirectory() => new("--state-dir")
    {
        Description = "The directory holding batch state and results.",
        DefaultValueFactory = _ => DefaultStateDirectory,
    };

    public static Option<bool> Verbose() => new("--verbose", "-v")
    {
        Description = "Say more on stderr: every retry, the concurrency chosen for each server, failovers (never a key or a prompt).",
    };

    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Say only errors on stderr: no progress, no status lines." };

    /// <summary>The verbosity the flags ask for.</summary>
    /// <exception cref="CliUsageException">Both were given.</exception>
    public static Verbosity ReadVerbosity(ParseResult parsed, Option<bool> verbose, Option<bool> quiet) =>
        (parsed.GetValue(verbose), parsed.GetValue(quiet)) switch
        {
            (true, true) => throw new CliUsageException("--verbose and --quiet cannot go together."),
            (true, false) => Verbosity.Verbose,
            (false, true) => Verbosity.Quiet,
            _ => Verbosity.Normal,
        };
}
