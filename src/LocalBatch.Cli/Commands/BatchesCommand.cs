using System.CommandLine;
using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Cli.Output;
using Spectre.Console;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// <c>localbatch batches list|get|watch|cancel|results|delete|prune</c>: look at and manage the batches in a store
/// directory. A batch is named by its id or the short id <c>list</c> shows; a store that does not exist is never created.
/// </summary>
internal static class BatchesCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("batches", "List, inspect, watch, cancel, read and delete stored batches.");
        command.Add(List(context));
        command.Add(Get(context));
        command.Add(BatchesWatchCommand.Create(context));
        command.Add(Cancel(context));
        command.Add(Results(context));
        command.Add(BatchesRemovalCommands.Delete(context));
        command.Add(BatchesRemovalCommands.Prune(context));
        return command;
    }

    /// <summary>The argument naming one batch.</summary>
    public static Argument<string> BatchIdArgument() => new("batch-id") { Description = "The batch: its id, or the short id `batches list` shows." };

    private static Command List(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var limit = new Option<int>("--limit") { Description = "Batches per page (1-100).", DefaultValueFactory = _ => 20 };
        var after = new Option<string?>("--after") { Description = "List the batches older than this one (an id or a short id)." };
        var json = new Option<bool>("--json") { Description = "Print OpenAI's list object as JSON." };
        var command = new Command("list", "List batches, newest first: short id, status (interrupted: no process runs it), lines done, failed, created, input file.") { stateDir, limit, after, json };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var pageSize = parsed.GetValue(limit);
            if (pageSize is < 1 or > 100)
            {
                throw new CliUsageException($"--limit must be a number from 1 to 100; got {pageSize.ToString(CultureInfo.InvariantCulture)}.");
            }

            return await StoreAccess.WithStoreAsync(
                parsed.GetValue(stateDir)!,
                async manager =>
                {
                    var afterId = parsed.GetValue(after) is { } text ? (await BatchIds.ResolveAsync(manager, text, cancellationToken).ConfigureAwait(false)).Id : null;
                    var page = await manager.ListAsync(afterId, pageSize, cancellationToken).ConfigureAwait(false);
                    if (parsed.GetValue(json))
                    {
                        await context.Out.WriteLineAsync(CliJson.Serialize(page)).ConfigureAwait(false);
                        return ExitCodes.Success;
                    }

                    await WriteTableAsync(context, [.. page.Data.Select(job => new BatchTable.Row(job, !job.IsTerminal && manager.IsRunningAnywhere(job.Id)))]).ConfigureAwait(false);
                    if (page.HasMore)
                    {
                        await context.Out.WriteLineAsync($"(more: --after {BatchIds.Short(page.LastId!)})").ConfigureAwait(false);
                    }

                    return ExitCodes.Success;
                },
                whenMissing: async root =>
                {
                    if (parsed.GetValue(json))
                    {
                        await context.Out.WriteLineAsync(CliJson.Serialize(new BatchPage([], null, null, HasMore: false))).ConfigureAwait(false);
                    }
                    else
                    {
                        await context.Error.WriteLineAsync($"localbatch: no batches: {StoreAccess.NoStoreMessage(root)}").ConfigureAwait(false);
                    }

                    return ExitCodes.Success;
                }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Get(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var id = BatchIdArgument();
        var command = new Command("get", "Print a batch object as JSON.") { id, stateDir };
        command.SetAction(async (parsed, cancellationToken) =>
            await StoreAccess.WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var job = await BatchIds.ResolveAsync(manager, parsed.GetValue(id)!, cancellationToken).ConfigureAwait(false);
                await context.Out.WriteLineAsync(CliJson.Serialize(job)).ConfigureAwait(false);
                return ExitCodes.Success;
            }).ConfigureAwait(false));
        return command;
    }

    private static Command Cancel(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var id = BatchIdArgument();
        var command = new Command("cancel", "Cancel a batch (a running localbatch process stops it; the unrun requests are recorded as batch_cancelled).") { id, stateDir };
        command.SetAction(async (parsed, cancellationToken) =>
            await StoreAccess.WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var batchId = (await BatchIds.ResolveAsync(manager, parsed.GetValue(id)!, cancellationToken).ConfigureAwait(false)).Id;
                BatchJob job;
                try
                {
                    job = await manager.CancelAsync(batchId, cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidOperationException ex)
                {
                    throw new CliUsageException(ex.Message, ex);
                }

                if (manager.IsRunning(batchId))
                {
                    job = await manager.WaitAsync(batchId, cancellationToken).ConfigureAwait(false);
                }

                await context.Out.WriteLineAsync(CliJson.Serialize(job)).ConfigureAwait(false);
                return ExitCodes.Success;
            }).ConfigureAwait(false));
        return command;
    }

    private static Command Results(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var id = BatchIdArgument();
        var errors = new Option<bool>("--errors") { Description = "Print the error file instead of the output file." };
        var command = new Command("results", "Print a batch's output (or error) lines as JSONL, each answer as the server sent it.") { id, stateDir, errors };
        command.SetAction(async (parsed, cancellationToken) =>
            await StoreAccess.WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var batchId = (await BatchIds.ResolveAsync(manager, parsed.GetValue(id)!, cancellationToken).ConfigureAwait(false)).Id;
                var lines = parsed.GetValue(errors) ? manager.GetErrorsAsync(batchId, cancellationToken) : manager.GetResultsAsync(batchId, cancellationToken);
                await foreach (var line in lines.ConfigureAwait(false))
                {
                    await context.Out.WriteLineAsync(CliJson.Serialize(line)).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }).ConfigureAwait(false));
        return command;
    }

    /// <summary>The listing: coloured and fitted to the window on a terminal, plain in a pipe; then what <c>interrupted</c> means, when one is.</summary>
    private static async Task WriteTableAsync(CliContext context, IReadOnlyList<BatchTable.Row> rows)
    {
        var timeZone = context.TimeProvider.LocalTimeZone;
        if (context.OutputTerminal is { } terminal)
        {
            foreach (var line in BatchTable.MarkupLines(rows, timeZone, terminal.Profile.Width))
            {
                terminal.MarkupLine(line);
            }
        }
        else
        {
            foreach (var line in BatchTable.PlainLines(rows, timeZone))
            {
                await context.Out.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        if (rows.Any(static row => row.Status == BatchTable.Interrupted))
        {
            await context.Error.WriteLineAsync("localbatch: interrupted: no process runs it now; the same `localbatch run` command (or `localbatch serve` on this store) resumes it.").ConfigureAwait(false);
        }
    }
}
