using System.CommandLine;
using System.CommandLine.Help;
using LocalBatch.Cli.Commands;

namespace LocalBatch.Cli;

/// <summary>The <c>localbatch</c> command line: <c>run</c>, <c>batches list|get|watch|cancel|results|delete|prune</c>, <c>serve</c> and <c>completion</c>.</summary>
internal static class LocalBatchCli
{
    /// <summary>Runs the command line with these writers, interrupted when <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr, bool isTerminal, CancellationToken cancellationToken)
    {
        using var interruption = Interruption.From(cancellationToken);
        return await InvokeAsync(args, CliContext.ForWriters(stdout, stderr, isTerminal, interruption)).ConfigureAwait(false);
    }

    /// <summary>Runs the command line in <paramref name="context"/>; returns the exit code.</summary>
    public static async Task<int> InvokeAsync(string[] args, CliContext context)
    {
        var stderr = context.Error;
        var root = new RootCommand("Run OpenAI-format JSONL batch files against a llama.cpp server (llama-server), resumably.")
        {
            RunCommand.Create(context),
            BatchesCommand.Create(context),
            ServeCommand.Create(context),
            CompletionCommand.Create(context),
        };
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithFooterAction((HelpAction)help.Action!);

        var parsed = root.Parse(args);
        // --help is answered even when the command line is incomplete (`localbatch run --help` has no input).
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpWithFooterAction)
        {
            foreach (var error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"localbatch: {error.Message}").ConfigureAwait(false);
            }

            foreach (var hint in TypoSuggestions.For(parsed))
            {
                await stderr.WriteLineAsync($"localbatch: {hint}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("Try 'localbatch --help'.").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        try
        {
            // No ProcessTerminationTimeout: the tool handles Ctrl+C and SIGTERM itself (Interruption), so that a command is
            // never cut off after System.CommandLine's two seconds (exit 130) while it saves its state or copies results.
            var configuration = new InvocationConfiguration { Output = context.Out, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parsed.InvokeAsync(configuration, context.Interruption.Token).ConfigureAwait(false);
        }
        catch (CliUsageException ex)
        {
            await stderr.WriteLineAsync($"localbatch: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }
        catch (OperationCanceledException)
        {
            // Interrupted before the run's own handling (while hashing, listing or creating): nothing is lost.
            await stderr.WriteLineAsync("localbatch: interrupted; run the same command again to resume.").ConfigureAwait(false);
            return ExitCodes.Fatal;
        }
        catch (Exception ex)
        {
            await stderr.WriteLineAsync($"localbatch: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Fatal;
        }
    }
}
