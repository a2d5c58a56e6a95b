using System.CommandLine;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// <c>localbatch completion bash</c>: prints a script that makes bash complete localbatch's commands and options. It asks
/// the tool itself through System.CommandLine's <c>[suggest:POSITION]</c> directive (what dotnet-suggest calls), so the
/// completions always match the installed version; another shell can call the same directive.
/// </summary>
internal static class CompletionCommand
{
    private const string Bash = """
        # localbatch completion for bash: add to ~/.bashrc   source <(localbatch completion bash)
        _localbatch_complete() {
            local IFS=$'\n'
            COMPREPLY=($(command localbatch "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null))
        }
        complete -o default -F _localbatch_complete localbatch
        """;

    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("shell") { Description = "The shell: bash." };
        shell.AcceptOnlyFromAmong("bash");
        var command = new Command("completion", "Print a bash script that completes localbatch's commands and options: source <(localbatch completion bash).") { shell };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await context.Out.WriteLineAsync(Bash.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
