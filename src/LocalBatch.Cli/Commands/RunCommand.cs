using System.CommandLine;
using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Cli.Run;

namespace LocalBatch.Cli.Commands;

/// <summary><c>localbatch run INPUT.jsonl</c>: run a batch file to its end, resuming an interrupted run of the same file.</summary>
internal static class RunCommand
{
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
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long one attempt of a request may take before it is given up and sent again, such as 90s, 10m or 2h, or none (default 10m: long generations on a CPU are normal).",
            DefaultValueFactory = _ => RunChecks.DefaultTimeout,
        };
        var stateDir = CommonOptions.StateDirectory();
        var batchPriority = CommonOptions.BatchPriority();
        var json = new Option<bool>("--json") { Description = "Print a summary as JSON on stdout: batch id, status, counts, usage, output and error paths, elapsed seconds, exit code." };
        var retryFailed = new Option<bool>("--retry-failed") { Description = "Run only the failed lines of the file's last run again, into the same output and error files (not those the server refused for themselves, 4xx)." };
        var allFailures = new Option<bool>("--all-failures") { Description = "With --retry-failed: run every failed line again, 4xx included." };
        var fresh = new Option<bool>("--fresh") { Description = "Send every line again, in a new batch, reusing no answer of the file's earlier runs (by default a changed file, or one whose last run was cancelled, sends only its new and changed lines)." };
        var verbose = CommonOptions.Verbose();
        var quiet = CommonOptions.Quiet();

        var command = new Command("run", "Run a JSONL batch file against the server; run it again after an interruption to resume.")
        {
            input, output, errors, endpoint, apiKey, concurrency, timeout, maxLineBytes, stateDir, batchPriority, json, retryFailed, allFailures, fresh, verbose, quiet,
        };

        command.SetAction((parsed, cancellationToken) => RunSession.RunAsync(
            context,
            new RunSettings(
                parsed.GetValue(input)!,
                parsed.GetValue(output),
                parsed.GetValue(errors),
                parsed.GetValue(endpoint),
                parsed.GetValue(apiKey),
                parsed.GetValue(concurrency)!,
                parsed.GetValue(maxLineBytes)!,
                parsed.GetValue(stateDir)!)
            {
                Verbosity = CommonOptions.ReadVerbosity(parsed, verbose, quiet),
                Timeout = parsed.GetValue(timeout)!,
                Json = parsed.GetValue(json),
                RetryFailed = parsed.GetValue(retryFailed),
                AllFailures = parsed.GetValue(allFailures),
                Fresh = parsed.GetValue(fresh),
                BatchPriority = CommonOptions.ReadBatchPriority(parsed, batchPriority),
            },
            cancellationToken));
        return command;
    }
}
