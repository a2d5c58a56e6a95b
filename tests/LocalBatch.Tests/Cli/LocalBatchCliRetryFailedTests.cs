using System.Security.Cryptography;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Cli;
using LocalBatch.Cli.Run;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>
/// localbatch run --retry-failed [--all-failures]: only the failed lines go again, into the same output paths, and each
/// custom_id ends in exactly one of the two files, once.
/// </summary>
public sealed class LocalBatchCliRetryFailedTests : IAsyncDisposable
{
    private const int Lines = 6;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
    private SimulatedGateway _gateway = null!;
    private volatile bool _flaky = true;

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task RetryFailed_RunsOnlyTheRetryableFailuresAgain_IntoTheSameFiles()
    {
        var (input, args) = await StartAsync();
        var original = await RunOriginalAsync(input);
        Assert.Equal((4, 2), (original.RequestCounts.Completed, original.RequestCounts.Failed)); // req-2: 429, req-4: 400
        _flaky = false;
        var sentBefore = ChatRequests;

        var retry = await RunCliAsync([.. args, "--retry-failed", "--json"]);

        Assert.Equal(ExitCodes.SomeFailed, retry.ExitCode);
        Assert.Equal(1, ChatRequests - sentBefore); // req-2 only: req-4's 400 would fail again
        Assert.Contains("retrying 1 failed lines of batch " + original.Id, retry.Error, StringComparison.Ordinal);
        Assert.Equal(["req-1", "req-2", "req-3", "req-5", "req-6"], CustomIds(OutputPath));
        Assert.Equal(["req-4"], CustomIds(ErrorPath));
        AssertEachCustomIdOnce();
        using var json = JsonDocument.Parse(retry.Output);
        Assert.Equal(original.Id, json.RootElement.GetProperty("batch_id").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("retry_batch_ids").GetArrayLength());
        Assert.Equal(5, json.RootElement.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("request_counts").GetProperty("failed").GetInt32());
        Assert.Equal(OutputPath, json.RootElement.GetProperty("output_file").GetString());
    }

    [Fact]
    public async Task RetryFailed_OnlyRefusedLinesLeft_SaysSoAndSendsNothing_AllFailuresSendsThem()
    {
        var (input, args) = await StartAsync();
        await RunOriginalAsync(input);
        _flaky = false;
        Assert.Equal(ExitCodes.SomeFailed, (await RunCliAsync([.. args, "--retry-failed"])).ExitCode);
        var sentBefore = ChatRequests;

        var nothing = await RunCliAsync([.. args, "--retry-failed"]);

        Assert.Equal(ExitCodes.SomeFailed, nothing.ExitCode);
        Assert.Contains("nothing to retry: the 1 failed lines were refused by the server", nothing.Error, StringComparison.Ordinal);
        Assert.Equal(sentBefore, ChatRequests);
        Assert.Equal(["req-4"], CustomIds(ErrorPath));

        var all = await RunCliAsync([.. args, "--retry-failed", "--all-failures"]);

        Assert.Equal(ExitCodes.SomeFailed, all.ExitCode);
        Assert.Equal(sentBefore + 1, ChatRequests); // req-4, refused again
        Assert.Equal(["req-4"], CustomIds(ErrorPath));
        Assert.Equal(["req-1", "req-2", "req-3", "req-5", "req-6"], CustomIds(OutputPath));
        AssertEachCustomIdOnce();
        Assert.Equal(3, Directory.GetDirectories(StateDirectory).Length); // the run and its two retries
    }

    [Fact]
    public async Task Run_AfterARetry_SendsNothingAndKeepsTheCombinedResults()
    {
        var (input, args) = await StartAsync();
        await RunOriginalAsync(input);
        _flaky = false;
        Assert.Equal(ExitCodes.SomeFailed, (await RunCliAsync([.. args, "--retry-failed"])).ExitCode);
        File.Delete(OutputPath);
        var sentBefore = ChatRequests;

        var again = await RunCliAsync(args);

        Assert.Equal(ExitCodes.SomeFailed, again.ExitCode);
        Assert.Equal(sentBefore, ChatRequests);
        Assert.Contains("completed: 5 succeeded, 1 failed of 6", again.Error, StringComparison.Ordinal);
        Assert.Equal(["req-1", "req-2", "req-3", "req-5", "req-6"], CustomIds(OutputPath));
        AssertEachCustomIdOnce();
    }

    [Fact]
    public async Task RetryFailed_Interrupted_ResumesTheRetryWithoutSendingAnyLineTwice()
    {
        var (input, args) = await StartAsync(flakyLines: [2, 3, 5]);
        await RunOriginalAsync(input);
        _flaky = false;
        var sentBefore = ChatRequests;
        string retryId;
        using (var interruption = Interruption.From(CancellationToken.None))
        {
            Interlocked.Exchange(ref _pauseAt, sentBefore + 2); // the retry's second request
            var running = RunCliAsync([.. args, "--retry-failed", "--concurrency", "1", "--json"], interruption, PublishOptions.Default);
            await _paused.Task.WaitAsync(TimeSpan.FromSeconds(30));
            interruption.Signal();
            var interrupted = await running;
            Assert.Equal(ExitCodes.Fatal, interrupted.ExitCode);
            Assert.Contains("run the same command again to resume", interrupted.Error, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(interrupted.Output);
            Assert.Equal("in_progress", json.RootElement.GetProperty("status").GetString());
            retryId = json.RootElement.GetProperty("retry_batch_ids")[0].GetString()!;
        }

        Interlocked.Exchange(ref _pauseAt, long.MaxValue);
        _gateway.Resume();
        var retryDirectory = Path.Combine(StateDirectory, retryId);
        var answered = CustomIds(Path.Combine(retryDirectory, "output.jsonl")).Count + CustomIds(Path.Combine(retryDirectory, "errors.jsonl")).Count;
        Assert.True(answered < 2);
        var sentBeforeResume = ChatRequests;

        var resumed = await RunCliAsync([.. args, "--retry-failed", "--concurrency", "1"]);

        Assert.Equal(ExitCodes.SomeFailed, resumed.ExitCode);
        Assert.Contains("resuming retry of the failed lines " + retryId, resumed.Error, StringComparison.Ordinal);
        Assert.Equal(3 - answered, ChatRequests - sentBeforeResume);
        Assert.Equal(["req-1", "req-2", "req-3", "req-5", "req-6"], CustomIds(OutputPath));
        Assert.Equal(["req-4"], CustomIds(ErrorPath));
        AssertEachCustomIdOnce();
        Assert.Equal(2, Directory.GetDirectories(StateDirectory).Length);
    }

    [Fact]
    public async Task RetryFailed_NoRunOfTheFile_ExitsTwoAndSendsNothing()
    {
        var (_, args) = await StartAsync();

        var run = await RunCliAsync([.. args, "--retry-failed"]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("has no run in", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, ChatRequests);
    }

    private long _pauseAt = long.MaxValue;
    private long _chatArrivals;
    private readonly TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string StateDirectory => Path.Combine(_root, "state");

    private string OutputPath => Path.Combine(_root, "jobs.output.jsonl");

    private string ErrorPath => Path.Combine(_root, "jobs.errors.jsonl");

    private long ChatRequests => Interlocked.Read(ref _chatArrivals);

    /// <summary>
    /// A gateway refusing req-4 for itself (400) and, while <see cref="_flaky"/>, answering the flaky lines 429, with a
    /// batch file of six lines; the command line of a run of it.
    /// </summary>
    private async Task<(string Input, string[] Args)> StartAsync(int[]? flakyLines = null)
    {
        flakyLines ??= [2];
        _gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            Slots = 2,
            FaultSelector = request =>
            {
                if (request.Path != Chat)
                {
                    return null;
                }

                if (Interlocked.Increment(ref _chatArrivals) == Interlocked.Read(ref _pauseAt))
                {
                    _gateway.Pause();
                    _paused.TrySetResult();
                }

                var prompt = request.Body?["messages"]?[0]?["content"]?.GetValue<string>() ?? string.Empty;
                return prompt.StartsWith("FAIL", StringComparison.Ordinal) ? new SimulatedFault(SimulatedFaultKind.BadRequest)
                    : prompt.StartsWith("FLAKY", StringComparison.Ordinal) && _flaky ? new SimulatedFault(SimulatedFaultKind.TooManyRequests)
                    : null;
            },
        });
        Directory.CreateDirectory(_root);
        var input = Path.Combine(_root, "jobs.jsonl");
        await File.WriteAllTextAsync(input, ChatLines(Lines, i => i == 4 ? "FAIL " + i : flakyLines.Contains(i) ? "FLAKY " + i : "ok " + i));
        return (input, ["run", input, "--endpoint", _gateway.Endpoint.ToString(), "--state-dir", StateDirectory]);
    }

    /// <summary>
    /// The file's first run, as localbatch run labels it, made through the library with retries cut short (the tool's own
    /// back-off would wait out the 429s for seconds): the flaky lines end failed with 429, a failure that may mend.
    /// </summary>
    private async Task<BatchJob> RunOriginalAsync(string input)
    {
        using var processor = new LocalBatchProcessor(new LocalBatchOptions
        {
            Endpoint = _gateway.Endpoint,
            MaxConcurrency = 2,
            MaxRetryAttempts = 1,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
        });
        await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = StateDirectory });
        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(input)));
        var job = await manager.CreateFromFileAsync(input, options: new BatchCreateOptions { Metadata = FileRun.MetadataFor(input, hash) });
        job = await manager.WaitAsync(job.Id);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.All(await ReadAllAsync(manager.GetErrorsAsync(job.Id)), line => Assert.Equal(line.CustomId != "req-4", line.IsRetryable));
        return job;
    }

    private void AssertEachCustomIdOnce()
    {
        var all = CustomIds(OutputPath).Concat(CustomIds(ErrorPath)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Expected(Lines), all);
    }
}
