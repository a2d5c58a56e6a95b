using System.CommandLine;
using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Cli.Output;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// <c>localbatch batches watch ID</c>: the live display of a batch that another process runs (a <c>localbatch run</c>, or
/// <c>localbatch serve</c> on the same store), from its saved state, until it ends. It only reads: it never runs,
/// resumes or changes the batch, and when no process runs it (interrupted) it says so and watches on until one does.
/// </summary>
internal static class BatchesWatchCommand
{
    /// <summary>How often the saved state is read on a terminal (a runner saves it every second).</summary>
    public static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the saved state is read when stderr is not a terminal (a line is written every 5 seconds).</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(1);

    public static Command Create(CliContext context)
    {
        var stateDir = CommonOptions.StateDirectory();
        var id = BatchesCommand.BatchIdArgument();
        var quiet = CommonOptions.Quiet();
        var command = new Command("watch", "Show the live progress of a batch that another process runs (localbatch run, or serve) until it ends; it never runs or changes the batch.") { id, stateDir, quiet };
        command.SetAction(async (parsed, cancellationToken) =>
            await StoreAccess.WithStoreAsync(parsed.GetValue(stateDir)!, async manager =>
            {
                var job = await BatchIds.ResolveAsync(manager, parsed.GetValue(id)!, cancellationToken).ConfigureAwait(false);
                var console = new StatusConsole(context.Error, context.Terminal, parsed.GetValue(quiet) ? Verbosity.Quiet : Verbosity.Normal, context.TimeProvider);
                return await WatchAsync(context, manager, console, job, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false));
        return command;
    }

    private static async Task<int> WatchAsync(CliContext context, BatchJobManager manager, StatusConsole console, BatchJob job, CancellationToken cancellationToken)
    {
        var running = !job.IsTerminal && manager.IsRunningAnywhere(job.Id);
        console.Info($"watching batch {job.Id} ({BatchTable.InputOf(job)}): {Describe(job)}{(job.IsTerminal ? string.Empty : running ? ", run by another process" : string.Empty)}");
        if (!job.IsTerminal && !running)
        {
            console.Info(NotRunning(job));
        }

        try
        {
            job = await console.WithProgressAsync(ProgressRenderer.PlainInterval, progress => FollowAsync(context, manager, console, job, running, progress, cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error($"stopped watching batch {job.Id}; it goes on in the process that runs it.");
            return ExitCodes.Fatal;
        }

        var line = $"{Describe(job)}; {(job.Usage?.TotalTokens ?? 0).ToString(CultureInfo.InvariantCulture)} tokens. Results: localbatch batches results {BatchIds.Short(job.Id)}";
        if (job.Status == BatchStatus.Completed && job.RequestCounts.Failed == 0)
        {
            console.Info(line);
            return ExitCodes.Success;
        }

        console.Error(line);
        return ExitCodes.SomeFailed;
    }

    /// <summary>Reads the batch's saved state every interval and reports it, with the rate seen since the watch began, until the batch ends.</summary>
    private static async Task<BatchJob> FollowAsync(
        CliContext context, BatchJobManager manager, StatusConsole console, BatchJob job, bool running, IProgress<BatchProgress>? progress, CancellationToken cancellationToken)
    {
        var time = context.TimeProvider;
        var start = (At: time.GetTimestamp(), Done: Done(job), Input: job.Usage?.InputTokens ?? 0, Output: job.Usage?.OutputTokens ?? 0);
        using var ticks = new PeriodicTimer(context.Terminal is null ? PlainInterval : TerminalInterval, time);
        while (true)
        {
            var elapsed = time.GetElapsedTime(start.At);
            var rate = elapsed > TimeSpan.Zero ? (Done(job) - start.Done) / elapsed.TotalSeconds : 0;
            progress?.Report(new BatchProgress
            {
                Total = job.RequestCounts.Total,
                Completed = Done(job),
                Failed = job.RequestCounts.Failed,
                Elapsed = elapsed,
                RequestsPerSecond = rate,
                PromptTokens = (job.Usage?.InputTokens ?? 0) - start.Input,
                CompletionTokens = (job.Usage?.OutputTokens ?? 0) - start.Output,
                EstimatedRemaining = rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, job.RequestCounts.Total - Done(job)) / rate) : null,
            });
            if (job.IsTerminal)
            {
                return job;
            }

            await ticks.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            job = await manager.RetrieveAsync(job.Id, cancellationToken).ConfigureAwait(false);
            var runsNow = job.IsTerminal || manager.IsRunningAnywhere(job.Id);
            if (runsNow != running)
            {
                console.Info(runsNow ? $"batch {job.Id} runs again" : NotRunning(job));
                running = runsNow;
            }
        }
    }

    private static string NotRunning(BatchJob job) =>
        $"no process runs batch {job.Id} now (interrupted); watching until one resumes it (its `localbatch run` command, or `localbatch serve` on this store). Ctrl+C stops watching.";

    private static string Describe(BatchJob job) => string.Create(
        CultureInfo.InvariantCulture,
        $"{job.Status.ToWireName()}: {job.RequestCounts.Completed} succeeded, {job.RequestCounts.Failed} failed of {job.RequestCounts.Total}");

    private static int Done(BatchJob job) => job.RequestCounts.Completed + job.RequestCounts.Failed;
}
