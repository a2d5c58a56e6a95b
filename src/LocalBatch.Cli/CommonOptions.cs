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

    /// <summary><c>--batch-priority background|foreground</c>: whether batches yield slots to the requests people wait for.</summary>
    public static Option<string> BatchPriority()
    {
        var option = new Option<string>("--batch-priority")
        {
            Description = "background: batches leave slots free while other requests run on the server (proxied ones, other clients' seen at its /slots), and take them back a few seconds after; foreground: batches take every slot, for a server nobody else uses.",
            DefaultValueFactory = _ => "background",
        };
        option.AcceptOnlyFromAmong("background", "foreground");
        return option;
    }

    /// <summary>The priority <c>--batch-priority</c> asks for.</summary>
    public static BatchPriority ReadBatchPriority(ParseResult parsed, Option<string> option) =>
        parsed.GetValue(option) == "foreground" ? LocalBatch.BatchPriority.Foreground : LocalBatch.BatchPriority.Background;

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
