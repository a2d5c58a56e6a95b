using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace LocalBatch.Tests.AI;

/// <summary><c>processor.AsEmbeddingGenerator()</c> against the simulated llama-server.</summary>
public sealed class LocalBatchEmbeddingGeneratorTests
{
    [Fact]
    public async Task GenerateAsync_MoreTextsThanOneCallTakes_ChunkedArrayCallsMergedInInputOrder()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxEmbeddingInputsPerRequest = 100));
        using var generator = processor.AsEmbeddingGenerator();
        var texts = Enumerable.Range(0, 250).Select(i => $"document number {i}").ToList();

        var embeddings = await generator.GenerateAsync(texts);
        var direct = await processor.Client.CreateEmbeddingsAsync(new EmbeddingRequest { Input = [texts[137]] });

        Assert.Equal(3 + 1, gateway.Counters.GetRequests("/v1/embeddings"));
        Assert.Equal(250, embeddings.Count);
        Assert.Equal(direct.Data[0].Embedding, embeddings[137].Vector.ToArray());
        Assert.All(embeddings, e => Assert.Equal("simulated-model.gguf", e.ModelId));
        Assert.Equal((250 * 3, 250 * 3), (embeddings.Usage!.InputTokenCount, embeddings.Usage.TotalTokenCount));
    }

    [Fact]
    public async Task GenerateAsync_FewTexts_OneCallWithAnArrayInput()
    {
        var bodies = new ConcurrentQueue<JsonNode?>();
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { FaultSelector = Capture(bodies) });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        using var generator = processor.AsEmbeddingGenerator();

        var embeddings = await generator.GenerateAsync(["alpha", "beta gamma", "delta"]);

        var body = Assert.Single(bodies);
        Assert.Equal(3, body!["input"]!.AsArray().Count);
        Assert.Equal(3, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(16, e.Dimensions));
    }

    [Fact]
    public async Task Metadata_NamesTheProviderTheServerAndTheDefaultModel()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.DefaultModel = "nomic-embed"));
        using var generator = processor.AsEmbeddingGenerator();

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.Equal("llama.cpp", metadata!.ProviderName);
        Assert.Equal(gateway.Endpoint, metadata.ProviderUri);
        Assert.Equal("nomic-embed", metadata.DefaultModelId);
        Assert.Null(metadata.DefaultModelDimensions);
    }

    [Fact]
    public async Task GetService_GivesItselfTheProcessorAndItsClient_AndNothingKeyedOrUnknown()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        using var generator = processor.AsEmbeddingGenerator();

        Assert.Same(generator, generator.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Same(processor, generator.GetService<LocalBatchProcessor>());
        Assert.Same(processor.Client, generator.GetService<LocalGatewayClient>());
        Assert.Null(generator.GetService<LocalBatchProcessor>("key"));
        Assert.Null(generator.GetService<IChatClient>());
    }

    [Fact]
    public async Task GenerateAsync_Options_ModelDimensionsAndExtraFieldsAreSent()
    {
        var bodies = new ConcurrentQueue<JsonNode?>();
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { FaultSelector = Capture(bodies) });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.DefaultModel = "default"));
        using var generator = processor.AsEmbeddingGenerator();
        var options = new EmbeddingGenerationOptions
        {
            ModelId = "bge-small",
            Dimensions = 16,
            AdditionalProperties = new() { ["truncate"] = true, ["user"] = "u-1", ["pooling"] = null },
        };

        var embeddings = await generator.GenerateAsync(["one", "two"], options);

        var body = Assert.Single(bodies)!;
        Assert.Equal("bge-small", (string?)body["model"]);
        Assert.Equal(16, (int?)body["dimensions"]);
        Assert.True((bool?)body["truncate"]);
        Assert.Equal("u-1", (string?)body["user"]);
        Assert.True(body.AsObject().TryGetPropertyValue("pooling", out var pooling) && pooling is null);
        Assert.Equal(2, embeddings.Count);
    }

    [Fact]
    public async Task GenerateAsync_ServerIgnoresDimensions_ThrowsRatherThanHandBackOtherSizedVectors()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        using var generator = processor.AsEmbeddingGenerator();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => generator.GenerateAsync(["one"], new EmbeddingGenerationOptions { Dimensions = 8 }));

        Assert.Contains("8 dimensions were asked for, and the server answered vectors of 16", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(["one"], new EmbeddingGenerationOptions { Dimensions = 0 }));
    }

    [Fact]
    public async Task GenerateAsync_RawRepresentationFactory_ProcessorOptionsUnderTheGenerationOptions()
    {
        var bodies = new ConcurrentQueue<JsonNode?>();
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { FaultSelector = Capture(bodies) });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        using var generator = processor.AsEmbeddingGenerator();
        var plain = await generator.GenerateAsync(["same text"]);
        bodies.Clear();

        var base64 = await generator.GenerateAsync(["same text"], new EmbeddingGenerationOptions
        {
            ModelId = "wins",
            RawRepresentationFactory = _ => new EmbeddingOptions
            {
                Model = "loses",
                EncodingFormat = "base64",
                AdditionalProperties = new Dictionary<string, JsonElement> { ["cache_prompt"] = JsonSerializer.SerializeToElement(true) },
            },
        });

        var body = Assert.Single(bodies)!;
        Assert.Equal(("wins", "base64", true), ((string?)body["model"], (string?)body["encoding_format"], (bool?)body["cache_prompt"]));
        Assert.Equal(plain[0].Vector.ToArray(), base64[0].Vector.ToArray());
    }

    [Fact]
    public async Task GenerateAsync_ServerRefuses_ThrowsTheGatewayError()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { EnableEmbeddings = false });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        using var generator = processor.AsEmbeddingGenerator();

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => generator.GenerateAsync(["one"]));

        Assert.Equal(501, ex.StatusCode);
    }

    [Fact]
    public async Task Dispose_LeavesTheProcessorOpen()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));

        processor.AsEmbeddingGenerator().Dispose();

        Assert.Single((await processor.ProcessBatchEmbeddingsAsync(["still open"])).Data);
    }

    [Fact]
    public async Task AddEmbeddingGenerator_FromTheContainersProcessor_IsUsableThroughMicrosoftExtensionsAI()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = gateway.Endpoint);
        services.AddEmbeddingGenerator(provider => provider.GetRequiredService<LocalBatchProcessor>().AsEmbeddingGenerator());
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var embedding = await generator.GenerateVectorAsync("hello");

        Assert.Equal(16, embedding.Length);
        Assert.Same(provider.GetRequiredService<LocalBatchProcessor>(), generator.GetService<LocalBatchProcessor>());
    }

    private static Func<SimulatedRequest, SimulatedFault?> Capture(ConcurrentQueue<JsonNode?> bodies) => request =>
    {
        if (request.Path == "/v1/embeddings")
        {
            bodies.Enqueue(request.Body);
        }

        return null;
    };
}
