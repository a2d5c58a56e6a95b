using LocalBatch.Batches;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LocalBatch.Tests.Gateway;

/// <summary>One client over several simulated llama-servers: routing by slots, failover with nothing lost, rejoining.</summary>
public sealed class SeveralServersTests : IAsyncDisposable
{
    private readonly List<SimulatedGateway> _gateways = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task ProcessBatch_ServersOfTwoFourAndEightSlots_EachKeptFullAndNeverSentMore()
    {
        var servers = await StartAsync(2, 4, 8);
        using var processor = new LocalBatchProcessor(Options(servers));
        foreach (var server in servers)
        {
            server.Pause();
        }

        var batch = processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 200).Select(i => $"prompt {i}").ToList());
        await Task.WhenAll(servers.Select(server => server.WaitForInFlightAsync(server.Options.Slots)));
        var pool = processor.Client.Pool.Snapshot();
        foreach (var server in servers)
        {
            server.Resume();
        }

        var results = await batch;

        Assert.Equal(14, await processor.GetConcurrencyAsync());
        Assert.Equal([2, 4, 8], pool.Select(s => s.InFlight));
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.All(servers, server => Assert.Equal(server.Options.Slots, server.Counters.PeakInFlight));
        Assert.Equal(200, servers.Sum(server => server.Counters.GetRequests("/v1/completions")));
    }

    [Fact]
    public async Task BatchJob_ServerStopsMidRun_NothingFailsOrRepeatsAndItRejoinsWhenBack()
    {
        var servers = await StartAsync(2, 4);
        using var processor = new LocalBatchProcessor(Options(servers));
        var store = Directory.CreateTempSubdirectory("localbatch-several-");
        try
        {
            await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store.FullName });
            servers[1].Pause();
            var job = await manager.CreateAsync(BatchTestEnvironment.ToStream(BatchTestEnvironment.ChatLines(300)));
            await servers[1].WaitForInFlightAsync(4);

            // Its four requests die with their connections; they and everything after go to the other server.
            await servers[1].StopListeningAsync();
            await Eventually.HoldsAsync(() => !processor.Client.Pool.Snapshot()[1].InRotation, timeout: TimeSpan.FromSeconds(20));
            var beforeRestart = servers[0].Counters.GetRequests(BatchTestEnvironment.Chat);
            await servers[1].StartListeningAsync();
            servers[1].Resume();
            await Eventually.HoldsAsync(() => processor.Client.Pool.Snapshot()[1].InRotation, timeout: TimeSpan.FromSeconds(20));
            job = await manager.WaitAsync(job.Id);

            Assert.Equal((BatchStatus.Completed, 300, 0), (job.Status, job.RequestCounts.Completed, job.RequestCounts.Failed));
            var ids = (await BatchTestEnvironment.ReadAllAsync(manager.GetResultsAsync(job.Id))).Select(line => line.CustomId).ToList();
            Assert.Equal(300, ids.Distinct().Count());
            Assert.Equal(300, ids.Count);
            Assert.True(beforeRestart > 0);
        }
        finally
        {
            store.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Request_ServerRefusesConnections_GoesToTheOtherAtOnceWithoutARetry()
    {
        var servers = await StartAsync(4, 4);
        await servers[0].StopListeningAsync();
        var logger = new ListLogger<LocalGatewayClient>();
        using var client = new LocalGatewayClient(
            new HttpClient { Timeout = Timeout.InfiniteTimeSpan },
            Microsoft.Extensions.Options.Options.Create(Options(servers, o => o.MaxRetryAttempts = 0)),
            logger);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => client.CreateCompletionAsync(new CompletionRequest { Prompt = $"p{i}" })));

        Assert.Equal(10, answers.Length);
        Assert.Equal(10, servers[1].Counters.GetRequests("/v1/completions"));

        // Out of the rotation once its /props or a request finds it refusing; under load the ten may all have gone to the
        // other before either did.
        await Eventually.HoldsAsync(() => !client.Pool.Snapshot()[0].InRotation);
    }

    [Fact]
    public async Task BatchJob_EveryServerDown_StopsResumableAndFinishesOnceOneIsBack()
    {
        var servers = await StartAsync(2, 2);
        using var processor = new LocalBatchProcessor(Options(servers, o => o.MaxRetryAttempts = 2));
        var store = Directory.CreateTempSubdirectory("localbatch-several-");
        try
        {
            foreach (var server in servers)
            {
                await server.StopListeningAsync();
            }

            await using (var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store.FullName }))
            {
                var job = await manager.CreateAsync(BatchTestEnvironment.ToStream(BatchTestEnvironment.ChatLines(20)));
                var stopped = await Assert.ThrowsAsync<LocalGatewayException>(() => manager.WaitAsync(job.Id));
                Assert.Contains("stopped answering", stopped.Message, StringComparison.Ordinal);
                Assert.Equal(BatchStatus.InProgress, (await manager.RetrieveAsync(job.Id)).Status);
            }

            await servers[1].StartListeningAsync();
            await using var resumed = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store.FullName });
            var id = (await resumed.ListAsync()).Data[0].Id;
            var final = await resumed.WaitAsync(id);

            Assert.Equal((BatchStatus.Completed, 20), (final.Status, final.RequestCounts.Completed));
        }
        finally
        {
            store.Delete(recursive: true);
        }
    }

    [Fact]
    public void AddLocalBatch_EndpointsFromConfiguration_BindsTheArray()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LocalBatch:Endpoints:0"] = "http://127.0.0.1:8081",
            ["LocalBatch:Endpoints:1"] = "http://127.0.0.1:8082/llm",
        }).Build();
        var services = new ServiceCollection();
        services.AddLocalBatch(configuration.GetSection("LocalBatch"));
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<LocalGatewayClient>();

        Assert.Equal([new Uri("http://127.0.0.1:8081/"), new Uri("http://127.0.0.1:8082/llm/")], client.Endpoints);
        Assert.Equal(2, provider.GetRequiredService<IOptions<LocalBatchOptions>>().Value.Endpoints.Count);
    }

    [Fact]
    public void Constructor_BadOrRepeatedEndpoints_ReportsEach()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new LocalGatewayClient(new LocalBatchOptions
        {
            Endpoints = [new Uri("http://a:1"), new Uri("ftp://b"), new Uri("http://a:1/")],
        }));

        Assert.Contains(error.Failures, f => f.Contains("Endpoints[1]", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Endpoints[2] repeats", StringComparison.Ordinal));
    }

    private static LocalBatchOptions Options(IReadOnlyList<SimulatedGateway> servers, Action<LocalBatchOptions>? configure = null)
    {
        var options = new LocalBatchOptions
        {
            Endpoints = [.. servers.Select(server => server.Endpoint)],
            MaxRetryAttempts = 8,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        return options;
    }

    private async Task<IReadOnlyList<SimulatedGateway>> StartAsync(params int[] slots)
    {
        foreach (var count in slots)
        {
            _gateways.Add(await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = count }));
        }

        return _gateways;
    }
}
