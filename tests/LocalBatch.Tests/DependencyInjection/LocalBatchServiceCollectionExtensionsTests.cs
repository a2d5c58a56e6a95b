using LocalBatch.Batches;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace LocalBatch.Tests.DependencyInjection;

/// <summary>The gateway client in a container: one singleton on a factory-made client whose handler is never captured stale.</summary>
public sealed class LocalBatchServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddLocalBatch_GatewayClient_IsOneSingletonThatTheProcessorUses()
    {
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080"));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var client = provider.GetRequiredService<LocalGatewayClient>();
        var processor = provider.GetRequiredService<LocalBatchProcessor>();

        Assert.Same(client, provider.GetRequiredService<LocalGatewayClient>());
        Assert.Same(client, processor.Client);
        Assert.Same(processor, provider.GetRequiredService<LocalBatchProcessor>());
        var registration = Assert.Single(services, d => d.ServiceType == typeof(LocalGatewayClient));
        Assert.Equal(ServiceLifetime.Singleton, registration.Lifetime);
    }

    [Fact]
    public async Task AddLocalBatch_HttpClient_RenewsConnectionsItselfAndTheFactoryNeverRotatesItsHandler()
    {
        var services = new ServiceCollection();
        var builder = services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080/llm"));
        await using var provider = services.BuildServiceProvider();

        var factoryOptions = provider.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(builder.HttpClient.Name);
        var handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(builder.HttpClient.Name);
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        Assert.Equal(Timeout.InfiniteTimeSpan, factoryOptions.HandlerLifetime);
        var primary = Assert.IsType<SocketsHttpHandler>(handler);
        Assert.Equal(TimeSpan.FromMinutes(5), primary.PooledConnectionLifetime);
        Assert.Equal(new Uri("http://127.0.0.1:8080/llm/"), provider.GetRequiredService<LocalGatewayClient>().Endpoint);
    }

    [Fact]
    public async Task AddLocalBatch_HandlerAddedThroughTheBuilder_SeesTheSingletonsRequests()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var counter = new CountingHandler();
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = gateway.Endpoint).HttpClient.AddHttpMessageHandler(() => counter);
        await using var provider = services.BuildServiceProvider();

        var results = await provider.GetRequiredService<LocalBatchProcessor>().ProcessBatchCompletionsAsync(["a", "b", "c"]);

        Assert.All(results, r => Assert.True(r.IsSuccess));
        // /props once, then the three prompts; and the looks at /slots while the batch runs in the background, if it ran
        // long enough for one (on a loaded machine).
        Assert.Equal(["/props", "/v1/completions", "/v1/completions", "/v1/completions"], counter.Paths.Where(static path => path != "/slots"));
    }

    [Fact]
    public async Task AddLocalBatch_ProcessorQueueAndBatchJobs_ShareOneClientSoTheServerIsAskedForItsSlotsOnce()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 3 });
        var store = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = gateway.Endpoint)
            .AddRequestQueue()
            .AddBatchJobs(o => o.StoreDirectory = store);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        try
        {
            var processor = provider.GetRequiredService<LocalBatchProcessor>();
            var queue = provider.GetRequiredService<RequestQueue>();
            var manager = provider.GetRequiredService<BatchJobManager>();

            Assert.Equal(3, await processor.GetConcurrencyAsync());
            await queue.SubmitAsync("q", new CompletionRequest { Prompt = "queued" });
            Assert.Equal(RequestStatus.Completed, (await queue.GetResultAsync("q")).Status);
            var batch = await manager.CreateAsync(BatchTestEnvironment.ToStream(BatchTestEnvironment.ChatLines(5)));
            batch = await manager.WaitAsync(batch.Id);

            Assert.Equal((BatchStatus.Completed, 5), (batch.Status, batch.RequestCounts.Completed));
            Assert.Equal(3, queue.Stats.Workers);
            Assert.Equal(1, gateway.Counters.GetRequests("/props"));
        }
        finally
        {
            await provider.DisposeAsync();
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task AddLocalBatch_ProcessorBatchAndBatchJobAtOnce_TogetherNeverExceedTheServersSlots()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 3 });
        var store = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = gateway.Endpoint).AddBatchJobs(o => o.StoreDirectory = store);
        var provider = services.BuildServiceProvider();
        try
        {
            var processor = provider.GetRequiredService<LocalBatchProcessor>();
            var manager = provider.GetRequiredService<BatchJobManager>();
            gateway.Pause();
            var direct = processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 20).Select(i => $"direct {i}"));
            await gateway.WaitForInFlightAsync(3);
            var job = await manager.CreateAsync(BatchTestEnvironment.ToStream(BatchTestEnvironment.ChatLines(20)));
            gateway.Resume();

            var results = await direct;
            job = await manager.WaitAsync(job.Id);

            Assert.All(results, r => Assert.True(r.IsSuccess));
            Assert.Equal(BatchStatus.Completed, job.Status);
            Assert.Equal(3, gateway.Counters.PeakInFlight);
        }
        finally
        {
            gateway.Resume();
            await provider.DisposeAsync();
            Directory.Delete(store, recursive: true);
        }
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _paths = new();

        /// <summary>Gets the path of every request sent, in order.</summary>
        public IEnumerable<string> Paths => _paths;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _paths.Enqueue(request.RequestUri!.AbsolutePath);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
