using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Cli.Output;

namespace LocalBatch.Cli.Commands;

/// <summary><c>localbatch batches list|get|cancel|results</c>: look at and manage the batches in a store directory.</summary>
internal static class BatchesCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("batches", "List, inspect, cancel and read the results of stored batches.");
        command.Add(List(context));
        command.Add(Get(context));
        command.Add(Cancel(context));
        command.Add(Results(context));
        return command;
    }

    private static Command List(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var limit = new Option<int>("--limit") { Description = "Batches per page (1-100).", DefaultValueFactory = _ => 20 };
        var after = new Option<string?>("--after") { Description = "List the batches older than this id." };
        var json = new Option<bool>("--json") { Description = "Print OpenAI's list object as JSON." };
        var command = new Command("list", "List batches, newest first.") { stateDir, limit, after, json };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var pageSize = parsed.GetValue(limit);
            if (pageSize is < 1 or > 100)
            {
                throw new CliUsageException($"--limit must be a number from 1 to 100; got {pageSize.ToString(CultureInfo.InvariantCulture)}.");
            }

            return await WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var page = await manager.ListAsync(parsed.GetValue(after), pageSize, cancellationToken).ConfigureAwait(false);
                if (parsed.GetValue(json))
                {
                    await context.Out.WriteLineAsync(JsonSerializer.Serialize(page, BatchJsonContext.Default.BatchPage)).ConfigureAwait(false);
                    return ExitCodes.Success;
                }

                if (context.OutputTerminal is { } terminal)
                {
                    terminal.Write(BatchTable.Create(page.Data));
                }
                else
                {
                    foreach (var line in BatchTable.PlainLines(page.Data))
                    {
                        await context.Out.WriteLineAsync(line).ConfigureAwait(false);
                    }
                }

                if (page.HasMore)
                {
                    await context.Out.WriteLineAsync($"(more: --after {page.LastId})").ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Get(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var id = new Argument<string>("batch-id") { Description = "The batch id." };
        var command = new Command("get", "Print a batch object as JSON.") { id, stateDir };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            return await WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var job = await RetrieveAsync(manager, parsed.GetValue(id)!, cancellationToken).ConfigureAwait(false);
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob)).ConfigureAwait(false);
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Cancel(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var id = new Argument<string>("batch-id") { Description = "The batch id." };
        var command = new Command("cancel", "Cancel a batch (a running localbatch process stops it; the unrun requests are recorded as batch_cancelled).") { id, stateDir };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            return await WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var batchId = parsed.GetValue(id)!;
                await RetrieveAsync(manager, batchId, cancellationToken).ConfigureAwait(false);
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

                await context.Out.WriteLineAsync(JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob)).ConfigureAwait(false);
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Results(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var id = new Argument<string>("batch-id") { Description = "The batch id." };
        var errors = new Option<bool>("--errors") { Description = "Print the error file instead of the output file." };
        var command = new Command("results", "Print a batch's output (or error) lines as JSONL.") { id, stateDir, errors };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            return await WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var batchId = parsed.GetValue(id)!;
                await RetrieveAsync(manager, batchId, cancellationToken).ConfigureAwait(false);
                var lines = parsed.GetValue(errors) ? manager.GetErrorsAsync(batchId, cancellationToken) : manager.GetResultsAsync(batchId, cancellationToken);
                await foreach (var line in lines.ConfigureAwait(false))
                {
                    await context.Out.WriteLineAsync(JsonSerializer.Serialize(line, BatchJsonContext.Default.BatchResultLine)).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Opens a store to inspect it, runs <paramref name="action"/> on it, and closes it: nothing resumes. A cancel of a
    /// batch no process runs finishes it here, sending nothing.
    /// </summary>
    private static async Task<int> WithStoreAsync(string directory, Func<BatchJobManager, Task<int>> action)
    {
        using var processor = new LocalBatchProcessor(new LocalBatchOptions());
        var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = directory, ResumeOnStart = false });
        await using (manager.ConfigureAwait(false))
        {
            return await action(manager).ConfigureAwait(false);
        }
    }

    private static async Task<BatchJob> RetrieveAsync(BatchJobManager manager, string batchId, CancellationToken cancellationToken)
    {
        try
        {
            return await manager.RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException)
        {
            throw new CliUsageException(ex.Message, ex);
        }
    }
}
