using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LocalBatch.Tests.Gateway;

public sealed class LocalGatewayClientIntegrationTests
{
    [Fact]
    public async Task AllEndpoints_SimulatedGateway_Answer()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var client = new LocalGatewayClient(Simulator.FastOptions(gateway));

        var completion = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "Hello there", MaxTokens = 5 });
        var chat = await client.CreateChatCompletionAsync(new ChatCompletionRequest { Messages = [ChatCompletionMessage.User("Hi")], MaxTokens = 3 });
        var embeddings = await client.CreateEmbeddingsAsync(new EmbeddingRequest { Input = ["a b", "c"] });
        var models = await client.ListModelsAsync();
        var health = await client.GetHealthAsync();
        var props = await client.GetPropsAsync();

        Assert.Equal(5, completion.Usage!.CompletionTokens);
        Assert.Equal(5, completion.Text!.Split(' ').Length);
        Assert.Equal("chat.completion", chat.Object);
        Assert.Equal(2, embeddings.Data.Count);
        Assert.NotEmpty(models.Data);
        Assert.True(health.IsReady);
        Assert.Equal(4, props!.TotalSlots);
    }

    [Fact]
    public async Task CreateCompletionAsync_ApiKeyRequired_SendsKeyAndFailsWithoutIt()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { ApiKey = "sk-test-key" });
        using var withKey = new LocalGatewayClient(Simulator.FastOptions(gateway, o => o.ApiKey = "sk-test-key"));
        using var withoutKey = new LocalGatewayClient(Simulator.FastOptions(gateway));

        var answer = await withKey.CreateCompletionAsync(new CompletionRequest { Prompt = "x" });
        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => withoutKey.CreateCompletionAsync(new CompletionRequest { Prompt = "x" }));

        Assert.NotNull(answer.Text);
        Assert.Equal(401, ex.StatusCode);
        Assert.Equal("authentication_error", ex.ErrorType);
        Assert.Equal(2, gateway.Counters.GetRequests("/v1/completions"));
    }

    [Theory]
    [InlineData(SimulatedFaultKind.ServiceUnavailable)]
    [InlineData(SimulatedFaultKind.TooManyRequests)]
    [InlineData(SimulatedFaultKind.InternalServerError)]
    [InlineData(SimulatedFaultKind.ConnectionReset)]
    [InlineData(SimulatedFaultKind.TruncatedBody)]
    public async Task CreateCompletionAsync_TransientFault_RetriedToSuccess(SimulatedFaultKind kind)
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        gateway.EnqueueFault(new SimulatedFault(kind) { RetryAfter = TimeSpan.Zero });
        gateway.EnqueueFault(new SimulatedFault(kind) { RetryAfter = TimeSpan.Zero });
        using var client = new LocalGatewayClient(Simulator.FastOptions(gateway));

        var response = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "retry me" });

        Assert.NotNull(response.Text);
        Assert.Equal(3, gateway.Counters.GetRequests("/v1/completions"));
        Assert.Equal(2, gateway.Counters.FaultsInjected);
    }

    [Fact]
    public async Task CreateCompletionAsync_PromptLongerThanContext_FailsOnceWithContextError()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { ContextSize = 8 });
        using var client = new LocalGatewayClient(Simulator.FastOptions(gateway));

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateCompletionAsync(new CompletionRequest { Prompt = string.Join(' ', Enumerable.Repeat("word", 20)) }));

        Assert.Equal("exceed_context_size_error", ex.ErrorType);
        Assert.Equal(1, gateway.Counters.GetRequests("/v1/completions"));
    }

    [Fact]
    public async Task CreateCompletionAsync_GatewayDownThenBack_Succeeds()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var logger = new ListLogger<LocalGatewayClient>();
        using var client = new LocalGatewayClient(
            new HttpClient { BaseAddress = gateway.Endpoint, Timeout = Timeout.InfiniteTimeSpan },
            Options.Create(Simulator.FastOptions(gateway, o =>
            {
                o.MaxRetryAttempts = 1000;
                o.MaxRetryDelay = TimeSpan.FromMilliseconds(20);
            })),
            logger);
        await gateway.StopListeningAsync();

        var pending = client.CreateCompletionAsync(new CompletionRequest { Prompt = "are you there" });
        await logger.WaitForAsync("Retrying POST /v1/completions (attempt 3)");
        await gateway.StartListeningAsync();
        var response = await pending;

        Assert.NotNull(response.Text);
        Assert.Equal(1, gateway.Counters.GetRequests("/v1/completions"));
    }

    [Fact]
    public async Task CreateCompletionAsync_ModelLoading_WaitsUntilLoaded()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var logger = new ListLogger<LocalGatewayClient>();
        using var client = new LocalGatewayClient(
            new HttpClient { BaseAddress = gateway.Endpoint },
            Options.Create(Simulator.FastOptions(gateway, o => o.MaxRetryAttempts = 1000)),
            logger);
        gateway.SetLoading(true);

        var pending = client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" });
        await logger.WaitForAsync("Loading model");
        gateway.SetLoading(false);

        Assert.NotNull((await pending).Text);
    }

    [Fact]
    public async Task CreateCompletionAsync_CancelledMidRequest_ThrowsOperationCanceled()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var client = new LocalGatewayClient(Simulator.FastOptions(gateway));
        using var cts = new CancellationTokenSource();
        gateway.Pause();

        var pending = client.CreateCompletionAsync(new CompletionRequest { Prompt = "slow" }, cts.Token);
        await gateway.WaitForInFlightAsync(1);
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.IsNotType<LocalGatewayException>(ex.InnerException);
        gateway.Resume();
    }

    [Fact]
    public async Task CreateCompletionAsync_AttemptTimeout_RetriesThenReportsTimeout()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var options = Simulator.FastOptions(gateway, o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(50);
            o.MaxRetryAttempts = 2;
        });
        // Attempts counted as the client sends them: an attempt timed out before its request reached the server
        // would be missing from the server's counters.
        using var counting = new CountingHandler(new SocketsHttpHandler());
        using var client = new LocalGatewayClient(new HttpClient(counting), Microsoft.Extensions.Options.Options.Create(options));
        gateway.Pause();

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateCompletionAsync(new CompletionRequest { Prompt = "stuck" }));
        gateway.Resume();

        Assert.Equal(GatewayErrorKind.Timeout, ex.Kind);
        Assert.Equal(3, counting.SentTo("/v1/completions"));
    }

    [Fact]
    public async Task AddLocalBatch_ResolvesClientAndProcessorWithOptions()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLocalBatch(o =>
        {
            o.Endpoint = gateway.Endpoint;
            o.DefaultModel = "sim";
        });
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var client = provider.GetRequiredService<LocalGatewayClient>();
        var processor = provider.GetRequiredService<LocalBatchProcessor>();
        var answer = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "di" });

        Assert.NotNull(answer.Text);
        Assert.Equal(4, await processor.GetConcurrencyAsync());
        Assert.Equal(gateway.Endpoint, client.Endpoint);
    }

    [Fact]
    public void AddLocalBatch_InvalidOptions_FailValidationWithEveryProblem()
    {
        var services = new ServiceCollection();
        services.AddLocalBatch(o =>
        {
            o.MaxConcurrency = -3;
            o.MaxRetryAttempts = -1;
        });
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<LocalBatchOptions>>().Value);

        Assert.Equal(2, ex.Failures.Count());
    }

    [Fact]
    public void AddLocalBatch_FromConfiguration_BindsOptions()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["LocalBatch:Endpoint"] = "http://127.0.0.1:9999",
                ["LocalBatch:MaxConcurrency"] = "6",
                ["LocalBatch:AttemptTimeout"] = "00:05:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLocalBatch(configuration.GetSection("LocalBatch"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<LocalBatchOptions>>().Value;

        Assert.Equal(new Uri("http://127.0.0.1:9999"), options.Endpoint);
        Assert.Equal(6, options.MaxConcurrency);
        Assert.Equal(TimeSpan.FromMinutes(5), options.AttemptTimeout);
    }

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _paths = new();

        public int SentTo(string path) => _paths.Count(sent => sent == path);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _paths.Enqueue(request.RequestUri!.AbsolutePath);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
