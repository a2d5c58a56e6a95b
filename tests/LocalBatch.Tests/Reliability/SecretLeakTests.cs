using System.Text;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Cli;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Reliability;

/// <summary>
/// The API key (the right one and a wrong one) never appears in anything a run produces: log lines at every level
/// with their exceptions, exception texts, the batch objects, the CLI's stdout and stderr, and every file of the store
/// and of the output folder.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class SecretLeakTests
{
    private const string Key = "sk-live-7f3c9a1e5b2d4f60";
    private const string WrongKey = "sk-wrong-0a9b8c7d6e5f4a3b";

    [Fact]
    public async Task BatchJobs_SucceedingFailingRetryingAndRefused_NeverShowTheKey()
    {
        await using var env = await StartAsync();
        env.Gateway.Options.ApiKey = Key;
        EnqueueTransientFaults(env.Gateway);
        var logs = new Logs();
        var texts = new List<string>();

        using (var client = new LocalGatewayClient(Simulator.FastOptions(env.Gateway, o => (o.ApiKey, o.MaxConcurrency) = (Key, 2)), logs.Client))
        using (var processor = new LocalBatchProcessor(client, logs.Processor))
        await using (var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = env.StoreDirectory }, logs.Manager))
        {
            var job = await manager.CreateAsync(ToStream(ChatLines(20, i => i == 3 ? "FAIL" : i == 5 ? "RESET" : $"prompt {i}")));
            var progress = new CollectingProgress();
            job = await manager.WaitAsync(job.Id, progress);

            Assert.Equal(new BatchRequestCounts(20, 18, 2), job.RequestCounts);
            texts.Add(JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob));
            texts.AddRange(progress.Reports.Select(report => report.ToString()));
            texts.AddRange((await ReadAllAsync(manager.GetErrorsAsync(job.Id))).Select(line => line.ToString()));
        }

        using (var client = new LocalGatewayClient(Simulator.FastOptions(env.Gateway, o => (o.ApiKey, o.MaxConcurrency) = (WrongKey, 2)), logs.Client))
        using (var processor = new LocalBatchProcessor(client, logs.Processor))
        await using (var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = env.StoreDirectory }, logs.Manager))
        {
            var refused = await manager.CreateAsync(ToStream(ChatLines(5)));
            var stop = await Assert.ThrowsAsync<LocalGatewayException>(() => manager.WaitAsync(refused.Id));

            Assert.Equal(401, stop.StatusCode);
            texts.Add(stop.ToString());
            texts.Add(stop.ResponseBody ?? string.Empty);
            texts.Add(JsonSerializer.Serialize(await manager.RetrieveAsync(refused.Id), BatchJsonContext.Default.BatchJob));
        }

        Assert.True(env.Gateway.Counters.FaultsInjected >= 4 && logs.Client.Lines.Any(line => line.StartsWith("Warning: Retrying", StringComparison.Ordinal)), "no retry was logged");
        AssertNoKey([.. texts, .. logs.All], env.StoreDirectory);
    }

    [Fact]
    public async Task Cli_RunsSucceedingFailingRetryingAndRefused_NeverShowTheKey()
    {
        await using var env = await StartAsync();
        env.Gateway.Options.ApiKey = Key;
        EnqueueTransientFaults(env.Gateway, count: 2); // the tool retries after a second or two: two faults, at once
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total, i => i == 2 ? "FAIL" : $"prompt {i}"));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "2", "--state-dir", StateDir(env)];

        var refused = await RunCliAsync([.. args, "--api-key", WrongKey]);
        var accepted = await RunCliAsync([.. args, "--api-key", Key]);
        var listed = await RunCliAsync("batches", "list", "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Fatal, refused.ExitCode);
        Assert.Equal(ExitCodes.SomeFailed, accepted.ExitCode);
        Assert.Equal(2 + 1, env.Gateway.Counters.FaultsInjected); // the two transient faults, and the FAIL line's 400
        AssertNoKey([refused.Output, refused.Error, accepted.Output, accepted.Error, listed.Output, listed.Error], env.StoreDirectory);
    }

    /// <summary>Faults for the first requests, each worth a retry (logged at Warning with its reason).</summary>
    private static void EnqueueTransientFaults(SimulatedGateway gateway, int count = 4)
    {
        foreach (var kind in new[] { SimulatedFaultKind.ServiceUnavailable, SimulatedFaultKind.TruncatedBody, SimulatedFaultKind.InternalServerError, SimulatedFaultKind.TooManyRequests }.Take(count))
        {
            gateway.EnqueueFault(new SimulatedFault(kind) { RetryAfter = TimeSpan.Zero });
        }
    }

    /// <summary>Neither key is in any of the texts, nor in any file under <paramref name="directory"/> (state, inputs, results).</summary>
    private static void AssertNoKey(IEnumerable<string> texts, string directory)
    {
        var files = Directory.GetFiles(directory, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var key in new[] { Key, WrongKey })
        {
            Assert.All(texts, text => Assert.DoesNotContain(key, text, StringComparison.Ordinal));
            Assert.All(files, file => Assert.DoesNotContain(key, Encoding.UTF8.GetString(File.ReadAllBytes(file)), StringComparison.Ordinal));
        }
    }

    /// <summary>Every log line of the client, the processor and the manager, at every level, with its exception.</summary>
    private sealed class Logs
    {
        public ListLogger<LocalGatewayClient> Client { get; } = new();

        public ListLogger<LocalBatchProcessor> Processor { get; } = new();

        public ListLogger<BatchJobManager> Manager { get; } = new();

        public IEnumerable<string> All => [.. Client.Lines, .. Processor.Lines, .. Manager.Lines];
    }
}
