using System.CommandLine;
using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Cli.Output;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// <c>localbatch batches delete ID…</c> and <c>batches prune --older-than AGE</c>: remove batches that have ended, with
/// their input, output and error files, from the store. An unfinished batch is never removed (cancel it first); files a
/// run copied to its output paths are the user's and stay.
/// </summary>
internal static class BatchesRemovalCommands
{
    public static Command Delete(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var ids = new Argument<string[]>("batch-id") { Description = "The batches: ids, or short ids as `batches list` shows them.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("delete", "Delete batches that have ended from the store, with their stored input, output and error files.") { ids, stateDir };
        command.SetAction(async (parsed, cancellationToken) =>
            await StoreAccess.WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                // Every id is checked before anything is deleted.
                var jobs = new List<BatchJob>();
                foreach (var text in parsed.GetValue(ids)!)
                {
                    var job = await BatchIds.ResolveAsync(manager, text, cancellationToken).ConfigureAwait(false);
                    if (!job.IsTerminal)
                    {
                        throw new CliUsageException($"batch {job.Id} is {job.Status.ToWireName()}; only a batch that has ended can be deleted: cancel it first (localbatch batches cancel {BatchIds.Short(job.Id)}). Nothing was deleted.");
                    }

                    jobs.Add(job);
                }

                foreach (var job in jobs.DistinctBy(static job => job.Id))
                {
                    try
                    {
                        await manager.DeleteAsync(job.Id, cancellationToken).ConfigureAwait(false);
                    }
                    catch (InvalidOperationException ex)
                    {
                        throw new CliUsageException(ex.Message, ex);
                    }

                    await context.Out.WriteLineAsync($"deleted {job.Id} ({BatchTable.InputOf(job)})").ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }).ConfigureAwait(false));
        return command;
    }

    public static Command Prune(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var olderThan = new Option<string>("--older-than") { Description = "Delete the batches that ended longer ago than this: a number followed by s, m, h, d or w, such as 7d or 12h.", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be deleted; delete nothing." };
        var command = new Command("prune", "Delete every batch that ended longer ago than --older-than from the store (unfinished batches are kept).") { olderThan, dryRun, stateDir };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var age = CliDurations.Parse("--older-than", parsed.GetValue(olderThan)!, "7d or 12h", TimeSpan.MaxValue / 2);
            var cutoff = context.TimeProvider.GetUtcNow() - age;
            var dry = parsed.GetValue(dryRun);
            return await StoreAccess.WithStoreAsync(
                parsed.GetValue(stateDir)!,
                async manager =>
                {
                    var (removed, kept) = (0, 0);
                    await foreach (var job in manager.ListAllAsync(cancellationToken).ConfigureAwait(false))
                    {
                        if (!job.IsTerminal || DateTimeOffset.FromUnixTimeSeconds(EndedAt(job)) > cutoff || (!dry && !await TryDeleteAsync(manager, job.Id, cancellationToken).ConfigureAwait(false)))
                        {
                            kept++;
                            continue;
                        }

                        removed++;
                        await context.Out.WriteLineAsync($"{(dry ? "would delete" : "deleted")} {job.Id} ({job.Status.ToWireName()} {Date(EndedAt(job))}, {BatchTable.InputOf(job)})").ConfigureAwait(false);
                    }

                    await context.Error.WriteLineAsync(string.Create(
                        CultureInfo.InvariantCulture,
                        $"localbatch: {(dry ? "would delete" : "deleted")} {removed} batches that ended before {Date(cutoff.ToUnixTimeSeconds())} UTC; kept {kept} (unfinished, newer, or held by a process).")).ConfigureAwait(false);
                    return ExitCodes.Success;
                },
                whenMissing: async root =>
                {
                    await context.Error.WriteLineAsync($"localbatch: nothing to prune: {StoreAccess.NoStoreMessage(root)}").ConfigureAwait(false);
                    return ExitCodes.Success;
                }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Deletes an ended batch; <see langword="false"/> when a process holds it now, or it went meanwhile.</summary>
    private static async Task<bool> TryDeleteAsync(BatchJobManager manager, string batchId, CancellationToken cancellationToken)
    {
        try
        {
            await manager.DeleteAsync(batchId, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>When a batch ended (made, for one that failed validation at once), in Unix seconds.</summary>
    private static long EndedAt(BatchJob job) => job.CompletedAt ?? job.FailedAt ?? job.CancelledAt ?? job.ExpiredAt ?? job.CreatedAt;

    private static string Date(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
