using System.Globalization;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Cli.Output;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalBatch.Cli.Run;

/// <summary>
/// One <c>localbatch run</c>: brings the file's last run to its end (resuming it, running the file afresh, or with
/// <c>--retry-failed</c> running its failed lines again), puts the results at the output paths, and reports on stderr
/// (and with <c>--json</c> on stdout).
/// </summary>
internal sealed partial class RunSession
{
    /// <summary>The library's settings that its messages may name, said as this command's flags.</summary>
    private static readonly KeyValuePair<string, string>[] Flags =
    [
        new("LocalBatchOptions.AttemptTimeout", "--timeout"),
        new("LocalBatchOptions.Endpoint", "--endpoint"),
        new("LocalBatchOptions.ApiKey", "--api-key"),
    ];

    private readonly CliContext _context;
    private readonly RunSettings _settings;
    private readonly StatusConsole _console;
    private readonly LocalBatchProcessor _processor;
    private readonly ILoggerFactory _loggers;
    private readonly string _outputPath;
    private readonly string _errorPath;
    private readonly int _maxLineBytes;
    private readonly long _started;

    private RunSession(CliContext context, RunSettings settings, StatusConsole console, LocalBatchProcessor processor, ILoggerFactory loggers, string outputPath, string errorPath, int maxLineBytes)
    {
        _context = context;
        _settings = settings;
        _console = console;
        _processor = processor;
        _loggers = loggers;
        _outputPath = outputPath;
        _errorPath = errorPath;
        _maxLineBytes = maxLineBytes;
        _started = context.TimeProvider.GetTimestamp();
    }

    /// <summary>Runs the command; returns its exit code.</summary>
    /// <exception cref="CliUsageException">A bad value or path, or nothing to retry from; nothing was sent.</exception>
    public static async Task<int> RunAsync(CliContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        RunChecks.CheckInput(settings.Input);
        if (settings.AllFailures && !settings.RetryFailed)
        {
            throw new CliUsageException("--all-failures goes with --retry-failed.");
        }

        if (settings.Fresh && settings.RetryFailed)
        {
            throw new CliUsageException("--fresh sends every line again and --retry-failed only the failed ones: give one of them.");
        }

        var apiKey = GatewaySettings.ApiKey(settings.ApiKey);
        var options = new LocalBatchOptions
        {
            ApiKey = apiKey,
            UseAdaptiveConcurrency = settings.Concurrency.Equals("adaptive", StringComparison.OrdinalIgnoreCase),
            MaxConcurrency = RunChecks.ParseConcurrency(settings.Concurrency),
            AttemptTimeout = RunChecks.ParseTimeout(settings.Timeout),
            BatchPriority = settings.BatchPriority,
        };
        GatewaySettings.Apply(options, GatewaySettings.Endpoints(settings.Endpoints, "--endpoint", out var endpointNotes));
        var outputPath = Path.GetFullPath(settings.Output ?? RunChecks.DefaultPath(settings.Input, ".output.jsonl"));
        var errorPath = Path.GetFullPath(settings.Errors ?? RunChecks.DefaultPath(settings.Input, ".errors.jsonl"));
        RunChecks.CheckDestinations(settings.Input.FullName, outputPath, errorPath, Path.GetFullPath(settings.StateDirectory));
        var maxLineBytes = RunChecks.ParseMaxLineBytes(settings.MaxLineBytes);

        var console = new StatusConsole(context.Error, context.Terminal, settings.Verbosity, context.TimeProvider, apiKey, Flags);
        foreach (var note in endpointNotes)
        {
            console.Detail(note);
        }

        using var statusLog = new StatusLoggerProvider(console, context.TimeProvider);
        using var loggers = new LoggerFactory([statusLog], new LoggerFilterOptions { MinLevel = LogLevel.Debug });
        using var client = CreateClient(options, loggers);
        using var processor = new LocalBatchProcessor(client, loggers.CreateLogger<LocalBatchProcessor>());
        var session = new RunSession(context, settings, console, processor, loggers, outputPath, errorPath, maxLineBytes);
        return await session.ExecuteAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ExecuteAsync(CancellationToken cancellationToken)
    {
        FileRun? run;
        Exception? stopped = null;
        var manager = CreateManager();
        await using (manager.ConfigureAwait(false))
        {
            var source = _settings.Input.FullName;
            var hash = await RunChecks.HashAsync(source, cancellationToken).ConfigureAwait(false);
            (run, var latest) = await FileRun.FindAsync(manager, source, hash, cancellationToken).ConfigureAwait(false);
            if (_settings.Fresh)
            {
                // Every line is sent again, in a new batch: an unfinished run of the file is left as it is.
                (run, latest) = (null, null);
            }

            if (Sends(run))
            {
                await StartupProbe.CheckAsync(_processor.Client.Endpoints, GatewaySettings.ApiKey(_settings.ApiKey), _console, _context.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            BatchJob? active = null;
            if (run is { Latest.IsTerminal: false })
            {
                (run, active) = await ResumeAsync(manager, run, cancellationToken).ConfigureAwait(false);
            }

            if (active is null && _settings.RetryFailed)
            {
                (run, active) = await StartRetryAsync(manager, run, cancellationToken).ConfigureAwait(false);
            }
            else if (active is null && run?.Original.Status != BatchStatus.Completed)
            {
                // Never run as it is now, or its last run ended otherwise than completed (cancelled, failed): a new batch
                // of the file, which takes from the file's last run (of this version or an earlier one) its answers to
                // the lines that are unchanged since, and sends the rest.
                var created = await CreateAsync(manager, source, hash, latest, cancellationToken).ConfigureAwait(false);
                if (created.Status == BatchStatus.Failed)
                {
                    return await InvalidInputAsync(created).ConfigureAwait(false);
                }

                (run, active) = (new FileRun(created, []), created);
            }

            if (active is not null)
            {
                try
                {
                    var attemptTimeout = RunChecks.ParseTimeout(_settings.Timeout);
                    await _console.WithProgressAsync(
                        ProgressRenderer.PlainInterval,
                        progress => manager.WaitAsync(active.Id, new StallWatch(progress, _console, _context.TimeProvider, attemptTimeout, _context.StallNotice), cancellationToken)).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Interrupted (Ctrl+C), or the run itself stopped (the server never answered, a damaged result file, a
                    // full disk): what finished is kept, and the same command resumes once the cause is gone.
                    stopped = ex;
                }
            }
        }

        // The manager is disposed: a run still going has stopped and saved its state. The results are read from the store.
        return await FinishAsync(run!, stopped).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether this command sends requests, so that the servers are asked first whether they are there: a file never run,
    /// run afresh, resumed or retried does; one whose run has completed (its results are only put in place again), or
    /// whose batch is being cancelled, does not.
    /// </summary>
    private bool Sends(FileRun? run) => run switch
    {
        null => true,
        { Latest.Status: BatchStatus.Cancelling } => false,
        { Latest.IsTerminal: false } => true,
        _ => _settings.RetryFailed || run.Original.Status != BatchStatus.Completed,
    };

    /// <summary>Takes up the file's unfinished batch (the original or a retry), as the same command run again does.</summary>
    private async Task<(FileRun Run, BatchJob? Active)> ResumeAsync(BatchJobManager manager, FileRun run, CancellationToken cancellationToken)
    {
        var job = run.Latest;
        var wasCancelling = job.Status == BatchStatus.Cancelling;
        var done = job.RequestCounts.Completed + job.RequestCounts.Failed;
        job = await manager.ResumeAsync(job.Id, cancellationToken).ConfigureAwait(false);
        // Not here, and held by another process; a run here that stopped at once (a damaged result file) is waited for
        // below, which tries it again and says why it stops.
        if (!manager.IsRunning(job.Id) && !job.IsTerminal && manager.IsRunningAnywhere(job.Id))
        {
            throw new InvalidOperationException($"Batch {job.Id} is being run by another localbatch process.");
        }

        if (wasCancelling)
        {
            // Cancelled by `localbatch batches cancel` while nobody ran it: finish that first.
            job = await manager.WaitAsync(job.Id, cancellationToken).ConfigureAwait(false);
        }

        run = run.WithLatest(job);
        if (job.IsTerminal)
        {
            // Cancelled, or left validating by a process that stopped before the input was stored (it has just failed).
            return (run, null);
        }

        var what = run.Retries.Count > 0 ? "retry of the failed lines" : "batch";
        _console.Info($"resuming {what} {job.Id}: {done} of {job.RequestCounts.Total} already done");
        if (_settings.RetryFailed && run.Retries.Count == 0)
        {
            _console.Info("the last run had not finished, so it is resumed first; once it has, --retry-failed runs its failed lines again");
        }

        return (run, job);
    }

    private async Task<BatchJob> CreateAsync(BatchJobManager manager, string source, string hash, FileRun? reuse, CancellationToken cancellationToken)
    {
        var options = new BatchCreateOptions { Metadata = FileRun.MetadataFor(source, hash), ReuseAnswersFrom = reuse?.BatchIds };
        var job = await manager.CreateFromFileAsync(source, endpoint: null, options, cancellationToken).ConfigureAwait(false);
        if (job.Status != BatchStatus.Failed)
        {
            _console.Info($"running {job.RequestCounts.Total} requests to {job.Endpoint} at {string.Join(", ", _processor.Client.Endpoints)} (batch {job.Id})");
            if (job.RequestCounts.Reused > 0)
            {
                _console.Info(
                    $"reusing {job.RequestCounts.Reused} answers from batch {reuse!.Original.Id} (the file's last run) for the lines unchanged since; "
                    + $"sending the other {job.RequestCounts.Total - job.RequestCounts.Reused} (--fresh sends every line)");
            }
        }

        return job;
    }

    private async Task<int> InvalidInputAsync(BatchJob job)
    {
        _console.Error($"{_settings.Input.Name} is not a valid batch file; nothing was sent:");
        foreach (var error in job.Errors?.Data ?? [])
        {
            _console.Error("  " + error);
        }

        await WriteSummaryAsync(new FileRun(job, []), new BatchRequestCounts(job.RequestCounts.Total, 0, 0), ExitCodes.InvalidInput).ConfigureAwait(false);
        return ExitCodes.InvalidInput;
    }

    private BatchJobManager CreateManager() => new(
        _processor,
        new BatchJobManagerOptions
        {
            StoreDirectory = _settings.StateDirectory,
            ResumeOnStart = false,
            MaxLinesPerBatch = int.MaxValue,
            MaxLineBytes = _maxLineBytes,
            ProgressInterval = _context.Terminal is null ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(200),

            // A local run never expires: rerun days later (or a file that takes days), it still resumes.
            CompletionWindowDuration = Timeout.InfiniteTimeSpan,
        },
        _loggers.CreateLogger<BatchJobManager>());

    private static LocalGatewayClient CreateClient(LocalBatchOptions options, ILoggerFactory loggers)
    {
        try
        {
            return new LocalGatewayClient(options, loggers.CreateLogger<LocalGatewayClient>());
        }
        catch (OptionsValidationException ex)
        {
            throw new CliUsageException(string.Join(" ", ex.Failures), ex);
        }
    }

    private async Task WriteSummaryAsync(FileRun run, BatchRequestCounts counts, int exitCode, IReadOnlyList<FailureCause>? causes = null)
    {
        if (!_settings.Json)
        {
            return;
        }

        var summary = new RunSummary
        {
            BatchId = run.Original.Id,
            RetryBatchIds = [.. run.Retries.Select(static retry => retry.Id)],
            Status = run.Latest.Status.ToWireName(),
            InputFile = _settings.Input.FullName,
            OutputFile = _outputPath,
            ErrorFile = _errorPath,
            RequestCounts = counts with { Reused = run.Original.RequestCounts.Reused },
            Usage = RunSummary.Sum([run.Original, .. run.Retries]),
            Errors = run.Original.Status == BatchStatus.Failed ? run.Original.Errors : null,
            FailureCauses = causes ?? [],
            ElapsedSeconds = Math.Round(_context.TimeProvider.GetElapsedTime(_started).TotalSeconds, 3),
            ExitCode = exitCode,
        };
        await _context.Out.WriteLineAsync(JsonSerializer.Serialize(summary, CliJsonContext.Default.RunSummary)).ConfigureAwait(false);
    }

    private string Elapsed() => ProgressRenderer.FormatDuration(_context.TimeProvider.GetElapsedTime(_started));

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
