using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace LocalBatch.Cli;

/// <summary><c>--help</c> as System.CommandLine writes it, followed by the exit codes and the environment variables.</summary>
internal sealed class HelpWithFooterAction(HelpAction help) : SynchronousCommandLineAction
{
    /// <summary>The text after the options, for every command.</summary>
    public const string Footer = """
        Exit codes:
          0  every line succeeded
          1  fatal error or interruption (Ctrl+C, server unreachable, key refused, disk full): run the same command again to resume
          2  invalid input or usage, or no server could be reached at the start: nothing was sent
          3  the batch finished with failed lines (see the errors file; run --retry-failed to run them again)

        Environment variables:
          LOCALBATCH_ENDPOINT       the server(s) when --endpoint/--gateway is not given, comma-separated (default http://localhost:8080)
          LOCALBATCH_API_KEY        the server's API key when --api-key (run) or --gateway-api-key (serve) is not given
          LOCALBATCH_SERVE_API_KEY  the key clients of `localbatch serve` must send when --api-key is not given
          NO_COLOR                  set to turn colours off in the progress display and tables

        Shell completion (bash): source <(localbatch completion bash)
        """;

    /// <inheritdoc/>
    public override int Invoke(ParseResult parseResult)
    {
        var code = help.Invoke(parseResult);
        parseResult.InvocationConfiguration.Output.WriteLine(Footer);
        return code;
    }
}
