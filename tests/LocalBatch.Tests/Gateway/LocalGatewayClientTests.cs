using System.Net;
using System.Text.Json;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Options;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Gateway;
public sealed class LocalGatewayClientTests
{
    private const string Completions = MockGateway.BaseUrl + "/v1/completions";

    [Fact]
    public async Task CreateCompletionAsync_ReferenceAnswer_ParsesFieldsAndKeepsUnknownOnes()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, Completions).Respond("application/json", ReferenceResponses.Completion);
        using var client = MockGateway.CreateClient(mock);

        var response = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "Hello", MaxTokens = 16 });

        Assert.Equal("chatcmpl-Um7fjWpGo4M9HzoQpQY672RuuM9QHj9Q", response.Id);
        Assert.Equal("text_completion", response.Object);
        Assert.Equal("tiny.gguf", response.Model);
        Assert.Equal("ulpembre genom", response.Text);
        Assert.Equal("length", response.Choices[0].FinishReason);
        Assert.Equal(18, response.Usage!.TotalTokens);
        Assert.True(response.AdditionalProperties!.ContainsKey("timings"));
        Assert.Equal(1, response.Usage.AdditionalProperties!["prompt_tokens_details"].GetProperty("cached_tokens").GetInt32());
        Assert.True(response.Choices[0].AdditionalProperties!.ContainsKey("logprobs"));
    }

    [Fact]
    public async Task CreateChatCompletionAsync_ReferenceAnswer_ParsesMessage()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, MockGateway.BaseUrl + "/v1/chat/completions").Respond("application/json", ReferenceResponses.Chat);
        using var client = MockGateway.CreateClient(mock);

        var response = await client.CreateChatCompletionAsync(new ChatCompletionRequest { Messages = [ChatCompletionMessage.User("Hi")] });

        Assert.Equal("assistant", response.Choices[0].Message!.Role);
        Assert.Equal("timestamp guardreland", response.Content);
        Assert.Equal(66, response.Usage!.TotalTokens);
    }

    [Fact]
    public async Task CreateEmbeddingsAsync_ArrayInput_SendsArrayAndParsesVectors()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, MockGateway.BaseUrl + "/v1/embeddings")
            .WithPartialContent("\"input\":[\"one\",\"two\"]")
            .Respond("application/json", ReferenceResponses.Embeddings);
        using var client = MockGateway.CreateClient(mock);

        var response = await client.CreateEmbeddingsAsync(new EmbeddingRequest { Input = ["one", "two"] });

        Assert.Equal(2, response.Data.Count);
        Assert.Equal([0.1911f, -0.2421f], response.Data[0].Embedding);
        Assert.Equal(1, response.Data[1].Index);
        Assert.Equal(6, response.Usage!.PromptTokens);
    }

    [Fact]
    public async Task CreateEmbeddingsAsync_Base64Answer_DecodesLittleEndianFloats()
    {
        float[] vector = [1.5f, -2.25f, 0.125f];
        var bytes = new byte[vector.Length * 4];
        for (var i = 0; i < vector.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), vector[i]);
        }

        var body = $$"""{"model":"m","object":"list","usage":{"prompt_tokens":1,"total_tokens":1},"data":[{"embedding":"{{Convert.ToBase64String(bytes)}}","index":0,"object":"embedding","encoding_format":"base64"}]}""";
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, MockGateway.BaseUrl + "/v1/embeddings").WithPartialContent("\"encoding_format\":\"base64\"").Respond("application/json", body);
        using var client = MockGateway.CreateClient(mock);

        var response = await client.CreateEmbeddingsAsync(new EmbeddingRequest { Input = ["x"], EncodingFormat = "base64" });

        Assert.Equal(vector, response.Data[0].Embedding);
    }

    [Fact]
    public async Task CreateCompletionAsync_ApiKeyAndDefaultModel_SendsBearerAndModel()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, Completions)
            .WithHeaders("Authorization", "Bearer sk-secret-123")
            .WithPartialContent("\"model\":\"qwen3\"")
            .Respond("application/json", ReferenceResponses.Completion);
        using var client = MockGateway.CreateClient(mock, o =>
        {
            o.ApiKey = "sk-secret-123";
            o.DefaultModel = "qwen3";
        });

        var response = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "Hello" });

        Assert.NotNull(response.Id);
    }

    [Fact]
    public void CompletionRequest_UnknownFields_SurviveRoundTrip()
    {
        const string json = """{"prompt":"p","max_tokens":5,"top_k":40,"grammar":"root ::= \"a\"","json_schema":{"type":"object"},"cache_prompt":true}""";

        var request = JsonSerializer.Deserialize(json, LocalBatch.Gateway.Internal.LocalBatchJsonContext.Default.CompletionRequest)!;
        var written = JsonSerializer.Serialize(request, LocalBatch.Gateway.Internal.LocalBatchJsonContext.Default.CompletionRequest);

        Assert.Equal("p", request.Prompt);
        Assert.Equal(5, request.MaxTokens);
        using var document = JsonDocument.Parse(written);
        Assert.Equal(40, document.RootElement.GetProperty("top_k").GetInt32());
        Assert.Equal("root ::= \"a\"", document.RootElement.GetProperty("grammar").GetString());
        Assert.Equal("object", document.RootElement.GetProperty("json_schema").GetProperty("type").GetString());
        Assert.True(document.RootElement.GetProperty("cache_prompt").GetBoolean());
    }

    [Fact]
    public void EmbeddingRequest_SingleStringInput_ReadsAsOneItemList()
    {
        var request = JsonSerializer.Deserialize("""{"input":"hello","dimensions":8}""", LocalBatch.Gateway.Internal.LocalBatchJsonContext.Default.EmbeddingRequest)!;

        Assert.Equal(["hello"], request.Input);
        Assert.Equal(8, request.AdditionalProperties!["dimensions"].GetInt32());
    }

    [Fact]
    public async Task GetPropsAsync_ServerHasProps_ReturnsTotalSlots()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Get, MockGateway.BaseUrl + "/props").Respond("application/json", ReferenceResponses.Props);
        using var client = MockGateway.CreateClient(mock);

        var props = await client.GetPropsAsync();

        Assert.Equal(4, props!.TotalSlots);
        Assert.Equal("b9596-18ef86ec", props.BuildInfo);
        Assert.True(props.AdditionalProperties!.ContainsKey("default_generation_settings"));
    }

    [Fact]
    public async Task GetPropsAsync_GatewayWithoutProps_ReturnsNull()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Get, MockGateway.BaseUrl + "/props").Respond(HttpStatusCode.NotFound, "application/json", """{"error":{"message":"File Not Found","type":"not_found_error","code":404}}""");
        using var client = MockGateway.CreateClient(mock);

        Assert.Null(await client.GetPropsAsync());
    }

    [Fact]
    public async Task ListModelsAsync_ReferenceAnswer_ParsesModels()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Get, MockGateway.BaseUrl + "/v1/models").Respond("application/json", ReferenceResponses.Models);
        using var client = MockGateway.CreateClient(mock);

        var models = await client.ListModelsAsync();

        Assert.Equal("tiny.gguf", models.Data[0].Id);
        Assert.Equal("llamacpp", models.Data[0].OwnedBy);
        Assert.True(models.Data[0].AdditionalProperties!.ContainsKey("meta"));
    }

    [Fact]
    public async Task GetHealthAsync_Loading_ReportsNotReadyWithoutRetrying()
    {
        using var mock = new MockHttpMessageHandler();
        var request = mock.When(HttpMethod.Get, MockGateway.BaseUrl + "/health").Respond(HttpStatusCode.ServiceUnavailable, "application/json", """{"error":{"message":"Loading model","type":"unavailable_error","code":503}}""");
        using var client = MockGateway.CreateClient(mock);

        var health = await client.GetHealthAsync();

        Assert.False(health.IsReady);
        Assert.Equal("Loading model", health.Status);
        Assert.Equal(1, mock.GetMatchCount(request));
    }

    [Fact]
    public async Task Endpoint_WithPathPrefix_KeepsThePrefix()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, "http://127.0.0.1:8080/llm/v1/completions").Respond("application/json", ReferenceResponses.Completion);
        using var client = new LocalGatewayClient(new HttpClient(mock), Options.Create(MockGateway.FastOptions(o => o.Endpoint = new Uri("http://127.0.0.1:8080/llm"))));

        var response = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" });

        Assert.NotNull(response.Text);
    }

    [Theory]
    [InlineData("local-model")]
    [InlineData(null)]
    public void DefaultModel_IsTheOptionsDefaultModel(string? model)
    {
        using var client = new LocalGatewayClient(new LocalBatchOptions { Endpoint = new Uri("http://127.0.0.1:8080"), DefaultModel = model });

        Assert.Equal(model, client.DefaultModel);
    }

    [Fact]
    public void Constructor_InvalidOptions_ReportsEveryProblem()
    {
        var options = new LocalBatchOptions
        {
            Endpoint = new Uri("ftp://example/"),
            MaxConcurrency = -1,
            RetryBaseDelay = TimeSpan.Zero,
            MaxEmbeddingInputsPerRequest = 0,
            ApiKey = "has space",
        };

        var ex = Assert.Throws<OptionsValidationException>(() => new LocalGatewayClient(options));

        Assert.Equal(5, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.Contains("Endpoint", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("MaxConcurrency", StringComparison.Ordinal));
        Assert.DoesNotContain("has space", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clé-secrète", "must be printable ASCII without white space")] // no header can carry it: every request failed after a minute of retries
    [InlineData("sk-new\nline", "must be printable ASCII without white space")]
    [InlineData("", "must not be empty")]
    public void Constructor_ApiKeyAHeaderCannotCarry_IsRefusedWithoutShowingIt(string key, string problem)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new LocalGatewayClient(new LocalBatchOptions { ApiKey = key }));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains("LocalBatchOptions.ApiKey " + problem, failure, StringComparison.Ordinal);
        if (key.Length > 0)
        {
            Assert.DoesNotContain(key, ex.Message, StringComparison.Ordinal);
        }
    }
}
