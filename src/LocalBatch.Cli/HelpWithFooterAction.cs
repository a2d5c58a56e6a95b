using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LocalBatch.Cli;

/// <summary>
/// <c>--help</c> as System.CommandLine writes it, with the tool's name in the usage lines, followed by the exit codes and
/// the environment variables of the command asked about (<see cref="HelpFooters"/>).
/// </summary>
internal sealed class HelpWithFooterAction(HelpAction help) : SynchronousCommandLineAction
{
    /// <summary>The command users type, whatever the executable is called (the tool's assembly is <c>LocalBatch.Cli</c>).</summary>
    public const string ToolName = "localbatch";

    /// <inheritdoc/>
    public override int Invoke(ParseResult parseResult)
    {
        var configuration = parseResult.InvocationConfiguration;
        var output = configuration.Output;
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        configuration.Output = text;
        int code;
        try
        {
            code = help.Invoke(parseResult);
        }
        finally
        {
            configuration.Output = output;
        }

        output.Write(WithToolName(text.ToString(), parseResult.RootCommandResult.Command.Name));
        output.WriteLine(HelpFooters.For(TopLevelCommand(parseResult.CommandResult)));
        return code;
    }

    /// <summary>The help text with the executable's name (the root command's) replaced by <see cref="ToolName"/> where it starts a usage line.</summary>
    internal static string WithToolName(string helpText, string executableName) =>
        executableName == ToolName
            ? helpText
            : Regex.Replace(helpText, $@"(?m)^([ \t]+){Regex.Escape(executableName)}(?=[ \t]|\r?$)", "${1}" + ToolName, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>The name of the tool's command that <paramref name="command"/> is or belongs to; <see langword="null"/> for the tool itself.</summary>
    private static string? TopLevelCommand(CommandResult command)
    {
        while (command.Parent is CommandResult parent)
        {
            if (parent.Parent is null)
            {
                return command.Command.Name;
            }

            command = parent;
        }

        return null;
    }
}
