using System.CommandLine;
using LocalBatch.Cli.Commands;

namespace LocalBatch.Cli;

/// <summary>The <c>localbatch</c> command line: <c>run</c> and <c>batches list|get|cancel|results</c>.</summary>
internal static class LocalBatchCli
{
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr, bool isTerminal, CancellationToken cancellationToken)
    {
        var context = new CliContext(stdout, stderr, isTerminal);
        var root = new RootCommand("Run OpenAI-format JSONL batch files against a llama.cpp server (llama-server), resumably.")
        {
            RunCommand.Create(context),
            BatchesCommand.Create(context),
            ServeCommand.Create(context),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"localbatch: {error.Message}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("Try 'localbatch --help'.").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
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
