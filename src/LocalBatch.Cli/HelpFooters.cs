namespace LocalBatch.Cli;

/// <summary>
/// The text <c>--help</c> writes after the options: the exit codes and environment variables of the command asked
/// about (<c>run</c>'s, <c>serve</c>'s, <c>batches</c>'s or <c>completion</c>'s), or every command's for the tool.
/// </summary>
internal static class HelpFooters
{
    /// <summary>The tool's: every exit code and variable.</summary>
    public const string Root = """
        Exit codes:
          0  success: every line succeeded (run), the server stopped with Ctrl+C (serve)
          1  fatal error or interruption (Ctrl+C, server unreachable, key refused, disk full): run the same command again to resume
          2  invalid input or usage, or no server could be reached at the start: nothing was sent
          3  the batch finished with failed lines (see the errors file; run --retry-failed to run them again)

        Environment variables:
          LOCALBATCH_ENDPOINT       the server(s) when --endpoint/--gateway is not given, comma-separated (default http://localhost:8080)
          LOCALBATCH_API_KEY        the server's API key when --api-key (run) or --gateway-api-key (serve) is not given
          LOCALBATCH_SERVE_API_KEY  the key clients of `localbatch serve` must send when --api-key is not given
          NO_COLOR                  set to turn colours off in the progress display and tables

        Each command's --help lists its own exit codes and variables.
        Shell completion (bash): source <(localbatch completion bash)
        """;

    /// <summary><c>run</c>'s.</summary>
    public const string Run = """
        Exit codes:
          0  every line succeeded
          1  fatal error or interruption (Ctrl+C, server unreachable, key refused, disk full): run the same command again to resume
          2  invalid input or usage, or no server could be reached at the start: nothing was sent
          3  the batch finished with failed lines (see the errors file; run --retry-failed to run them again)

        Environment variables:
          LOCALBATCH_ENDPOINT  the server(s) when --endpoint is not given, comma-separated (default http://localhost:8080)
          LOCALBATCH_API_KEY   the server's API key when --api-key is not given
          NO_COLOR             set to turn colours off in the progress display
        """;

    /// <summary><c>serve</c>'s.</summary>
    public const string Serve = """
        Exit codes:
          0  stopped with Ctrl+C (or SIGTERM); unfinished batches resume at the next start
          1  fatal error: the server could not start (the address is in use, the store cannot be opened)
          2  invalid usage: a bad flag or value; nothing was started

        Environment variables:
          LOCALBATCH_ENDPOINT       the gateway(s) when --gateway is not given, comma-separated (default http://localhost:8080)
          LOCALBATCH_API_KEY        the key sent to the gateway when --gateway-api-key is not given
          LOCALBATCH_SERVE_API_KEY  the key clients must send when --api-key is not given
        """;

    /// <summary><c>batches …</c>'s.</summary>
    public const string Batches = """
        Exit codes:
          0  done (watch: the batch completed, no line failed)
          1  fatal error or interruption (Ctrl+C), such as a store that cannot be read
          2  invalid usage: a bad flag or value, an unknown batch id, a batch that cannot be cancelled or deleted now
          3  watch: the batch ended with failed lines, or cancelled, expired or failed

        Environment variables:
          NO_COLOR  set to turn colours off in tables and the progress display
        """;

    /// <summary><c>completion</c>'s.</summary>
    public const string Completion = """
        Exit codes:
          0  the script was printed
          2  invalid usage: a shell other than bash
        """;

    /// <summary>The footer for the command whose help is asked for, by the top-level command it belongs to.</summary>
    /// <param name="topLevelCommand">The name of the tool's command (<c>run</c>, <c>batches</c>, …), or <see langword="null"/> for the tool itself.</param>
    public static string For(string? topLevelCommand) => topLevelCommand switch
    {
        "run" => Run,
        "serve" => Serve,
        "batches" => Batches,
        "completion" => Completion,
        _ => Root,
    };
}
