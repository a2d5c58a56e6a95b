using System.CommandLine;

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
}
