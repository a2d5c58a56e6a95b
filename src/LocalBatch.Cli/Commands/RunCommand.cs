using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Commands;

/// <summary><c>localbatch run INPUT.jsonl</c>: run a batch file to its end, resuming an interrupted run of the same file.</summary>
internal static class RunCommand
{
    private const string SourceKey = "localbatch_source";
    private const string HashKey = "localbatch_sha256";
    private const string RetryOfKey = "retry_of";

    public static Command Create(CliContext context)
    {
        var input = new Argument<FileInfo>("input") { Description = "The JSONL batch file (OpenAI Batch API format)." };
        var output = new Option<string?>("--output", "-o") { Description = "Where the successful answers go (default INPUT.output.jsonl)." };
        var errors = new Option<string?>("--errors", "-e") { Description = "Where the failed requests go (default INPUT.errors.jsonl)." };
        var endpoint = new Option<string[]>("--endpoint") { Description = "The server's base address; repeat it to spread the file over several servers (default $LOCALBATCH_ENDPOINT, comma-separated for several, else http://localhost:8080)." };
        var apiKey = new Option<string?>("--api-key") { Description = "The API key (default $LOCALBATCH_API_KEY)." };
        var concurrency = new Option<string>("--concurrency") { Description = "Requests in flight per server: a number; auto (its total_slots, else found from latency); or adaptive (found from latency).", DefaultValueFactory = _ => "auto" };
        var maxLineBytes = new Option<string>("--max-line-bytes")
        {
            Description = "The longest line accepted, in bytes (default 4194304, 4 MiB); a longer one fails validation.",
            DefaultValueFactory = _ => BatchJobManagerOptions.DefaultMaxLineBytes.ToString(CultureInfo.InvariantCulture),
        };
        var stateDir = CommonOptions.StateDirectory();

        var command = new Command("run", "Run a JSONL batch file against the server; run it again after an interruption to resume.")
        {
            input, output, errors, endpoint, apiKey, concurrency, maxLineBytes, stateDir,
        };

        command.SetAction((parsed, cancellationToken) => RunAsync(
            context,
            new RunSettings(
                parsed.GetValue(input)!,
                parsed.GetValue(output),
                parsed.GetValue(errors),
                parsed.GetValue(endpoint),
                parsed.GetValue(apiKey),
                parsed.GetValue(concurrency)!,
                parsed.GetValue(maxLineBytes)!,
                parsed.GetValue(stateDir)!),
            cancellationToken));
        return command;
    }

    internal sealed record RunSettings(FileInfo Input, string? Output, string? Errors, IReadOnlyList<string>? Endpoints, string? ApiKey, string Concurrency, string MaxLineBytes, string StateDirectory);

    private static async Task<int> RunAsync(CliContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        CheckInput(settings.Input);
        var options = new LocalBatchOptions
        {
            ApiKey = GatewaySettings.ApiKey(settings.ApiKey),
            UseAdaptiveConcurrency = settings.Concurrency.Equals("adaptive", StringComparison.OrdinalIgnoreCase),
            MaxConcurrency = ParseConcurrency(settings.Concurrency),
        };
        GatewaySettings.Apply(options, GatewaySettings.Endpoints(settings.Endpoints, "--endpoint"));

        var outputPath = Path.GetFullPath(settings.Output ?? DefaultPath(settings.Input, ".output.jsonl"));
        var errorPath = Path.GetFullPath(settings.Errors ?? DefaultPath(settings.Input, ".errors.jsonl"));
        CheckDestinations(settings.Input.FullName, outputPath, errorPath, Path.GetFullPath(settings.StateDirectory));
        using var processor = CreateProcessor(options);
        var renderer = new ProgressRenderer(context.Error, context.IsTerminal, TimeProvider.System);
        var manager = new BatchJobManager(processor, new BatchJobManagerOptions
        {
            StoreDirectory = settings.StateDirectory,
            ResumeOnStart = false,
            MaxLinesPerBatch = int.MaxValue,
            MaxLineBytes = ParseMaxLineBytes(settings.MaxLineBytes),
            ProgressInterval = renderer.RefreshInterval,
            // A local run never expires: rerun days later (or a file that takes days), it still resumes.
            CompletionWindowDuration = Timeout.InfiniteTimeSpan,
        });
        await using (manager.ConfigureAwait(false))
        {
            var source = settings.Input.FullName;
            var hash = await HashAsync(source, cancellationToken).ConfigureAwait(false);
            // Only the newest run of the file counts: an unfinished one is taken up here (unless another process runs
            // it), a completed one is not redone, and any other end means starting afresh, even when an older run of
            // the same file had completed.
            var job = await FindNewestRunAsync(manager, source, hash, cancellationToken).ConfigureAwait(false);
            if (job is { IsTerminal: false })
            {
                var wasCancelling = job.Status == BatchStatus.Cancelling;
                var done = job.RequestCounts.Completed + job.RequestCounts.Failed;
                job = await manager.ResumeAsync(job.Id, cancellationToken).ConfigureAwait(false);
                if (!manager.IsRunning(job.Id) && !job.IsTerminal)
                {
                    throw new InvalidOperationException($"Batch {job.Id} is being run by another localbatch process.");
                }

                if (wasCancelling)
                {
                    // Cancelled by `localbatch batches cancel` while nobody ran it: finish that, then run the file anew.
                    job = await manager.WaitAsync(job.Id, cancellationToken).ConfigureAwait(false);
                }
                else if (!job.IsTerminal)
                {
                    await context.Error.WriteLineAsync($"localbatch: resuming batch {job.Id}: {done} of {job.RequestCounts.Total} already done").ConfigureAwait(false);
                }

                // A run left validating (its process stopped before the input was stored) has just ended failed.
            }

            if (job is null || (job.IsTerminal && job.Status != BatchStatus.Completed))
            {
                job = await manager.CreateFromFileAsync(source, endpoint: null, new BatchCreateOptions
                {
                    Metadata = new Dictionary<string, string> { [SourceKey] = Tail(source, 512), [HashKey] = hash },
                }, cancellationToken).ConfigureAwait(false);
                if (job.Status == BatchStatus.Failed)
                {
                    await context.Error.WriteLineAsync($"localbatch: {settings.Input.Name} is not a valid batch file; nothing was sent:").ConfigureAwait(false);
                    foreach (var error in job.Errors?.Data ?? [])
                    {
                        await context.Error.WriteLineAsync("  " + error).ConfigureAwait(false);
                    }

                    return ExitCodes.InvalidInput;
                }

                await context.Error.WriteLineAsync($"localbatch: running {job.RequestCounts.Total} requests to {job.Endpoint} at {string.Join(", ", processor.Client.Endpoints)} (batch {job.Id})").ConfigureAwait(false);
            }

            var started = TimeProvider.System.GetTimestamp();
            var outputFile = manager.GetFilePath(job.Id, BatchFileKind.Output);
            var errorFile = manager.GetFilePath(job.Id, BatchFileKind.Errors);
            try
            {
                job = await manager.WaitAsync(job.Id, renderer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Interrupted (Ctrl+C), or the run itself stopped (the server never answered, a damaged result file,
                // a full disk): what finished is kept, and the same command resumes once the cause is gone.
                renderer.Finish();

                // Stop the run first (it saves its state and closes its files), then copy what it finished.
                await manager.DisposeAsync().ConfigureAwait(false);
                var what = ex switch
                {
                    OperationCanceledException => "interrupted",
                    LocalGatewayException { StatusCode: 401 or 403 } refused =>
                        $"stopped: the server {(options.ApiKey is null ? "requires an API key and none was given" : "refused the API key")} ({refused.StatusCode} {refused.ErrorType}: {refused.ServerMessage}); "
                        + "no more requests were sent. Give the right key with --api-key or LOCALBATCH_API_KEY.",
                    _ => $"stopped: {ex.Message}",
                };
                await context.Error.WriteLineAsync($"localbatch: {what}").ConfigureAwait(false);
                PublishResults();
                var done = ResultFilePublisher.CountLines(outputPath) + ResultFilePublisher.CountLines(errorPath);
                await context.Error.WriteLineAsync($"localbatch: {done} of {job.RequestCounts.Total} done (so far in {outputPath}); run the same command again to resume.").ConfigureAwait(false);
                return ExitCodes.Fatal;
            }

            renderer.Finish();
            PublishResults();

            var counts = job.RequestCounts;
            var elapsed = TimeProvider.System.GetElapsedTime(started);
            await context.Error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"localbatch: {job.Status.ToWireName()}: {counts.Completed} succeeded, {counts.Failed} failed of {counts.Total} in {ProgressRenderer.FormatDuration(elapsed)}; {job.Usage?.TotalTokens ?? 0} tokens. Output: {outputPath}{(counts.Failed > 0 ? $". Errors: {errorPath}" : string.Empty)}")).ConfigureAwait(false);
            return counts.Failed == 0 && job.Status == BatchStatus.Completed ? ExitCodes.Success : ExitCodes.SomeFailed;

            void PublishResults()
            {
                ResultFilePublisher.Publish(outputFile, outputPath);
                ResultFilePublisher.Publish(errorFile, errorPath);
            }
        }
    }

    /// <summary>The newest batch made by <c>localbatch run</c> from this file, as it is now (path and contents alike).</summary>
    private static async Task<BatchJob?> FindNewestRunAsync(BatchJobManager manager, string source, string hash, CancellationToken cancellationToken)
    {
        await foreach (var job in manager.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            // A retry batch (BatchJobManager.RetryFailedAsync) inherits the metadata but holds only the failed lines.
            if (job.Metadata is { } metadata
                && !metadata.ContainsKey(RetryOfKey)
                && metadata.TryGetValue(HashKey, out var previousHash) && previousHash == hash
                && metadata.TryGetValue(SourceKey, out var previousSource) && previousSource == Tail(source, 512))
            {
                return job; // the list is newest first
            }
        }

        return null;
    }

    private static LocalBatchProcessor CreateProcessor(LocalBatchOptions options)
    {
        try
        {
            return new LocalBatchProcessor(options);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            throw new CliUsageException(string.Join(" ", ex.Failures), ex);
        }
    }

    private static int ParseConcurrency(string value) =>
        value.Equals("auto", StringComparison.OrdinalIgnoreCase) || value.Equals("adaptive", StringComparison.OrdinalIgnoreCase) ? 0
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= LocalBatchOptions.MaxConcurrencyLimit ? number
        : throw new CliUsageException($"--concurrency must be auto, adaptive or a number from 1 to {LocalBatchOptions.MaxConcurrencyLimit}; got '{value}'.");

    private static int ParseMaxLineBytes(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= BatchJobManagerOptions.MaxLineBytesLimit ? number
        : throw new CliUsageException($"--max-line-bytes must be a number of bytes from 1 to {BatchJobManagerOptions.MaxLineBytesLimit}; got '{value}'.");

    /// <summary>Refuses an input that is not a readable file before anything is created.</summary>
    private static void CheckInput(FileInfo input)
    {
        if (Directory.Exists(input.FullName))
        {
            throw new CliUsageException($"The input '{input.FullName}' is a directory; give the JSONL batch file to run.");
        }

        if (!input.Exists)
        {
            throw new CliUsageException($"The input file '{input.FullName}' does not exist.");
        }
    }

    /// <summary>Refuses result paths that would overwrite the input, each other or a directory, before anything is sent.</summary>
    private static void CheckDestinations(string input, string output, string errors, string stateDirectory)
    {
        foreach (var (name, path) in new[] { ("--output", output), ("--errors", errors) })
        {
            if (string.Equals(path, input, StringComparison.Ordinal))
            {
                throw new CliUsageException($"{name} '{path}' is the input file itself; give another path.");
            }

            if (Directory.Exists(path))
            {
                throw new CliUsageException($"{name} '{path}' is a directory; give a file path.");
            }
        }

        if (string.Equals(output, errors, StringComparison.Ordinal))
        {
            throw new CliUsageException($"--output and --errors are the same file '{output}'; give two paths.");
        }

        if (File.Exists(stateDirectory))
        {
            throw new CliUsageException($"--state-dir '{stateDirectory}' is a file; give a directory.");
        }
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliUsageException($"The input file '{path}' cannot be read: permission denied.");
        }

        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    private static string DefaultPath(FileInfo input, string suffix)
    {
        var name = input.Name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? input.Name[..^".jsonl".Length] : input.Name;
        return Path.Combine(input.DirectoryName!, name + suffix);
    }

    private static string Tail(string value, int length) => value.Length <= length ? value : value[^length..];
}
