using System.Net;
using System.Text;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>Error answers as a real llama-server gives them, and its API key rules.</summary>
public sealed class SimulatedGatewayErrorTests
{
    public static TheoryData<string, string, string, int, string, string> ErrorCases => new()
    {
        { "POST", "/v1/completions", "{not json", 500, "server_error", "[json.exception.parse_error.101] parse error at line 1, column " },
        { "POST", "/v1/chat/completions", "", 500, "server_error", "[json.exception.parse_error.101] parse error at line 1, column 1: " },
        { "POST", "/v1/embeddings", "", 500, "server_error", "[json.exception.parse_error.101] " },
        { "POST", "/v1/completions", """{"max_tokens":3}""", 400, "invalid_request_error", "[json.exception.out_of_range.403] key 'prompt' not found" },
        { "POST", "/v1/chat/completions", """{"prompt":"x"}""", 400, "invalid_request_error", "'messages' is required" },
        { "POST", "/v1/embeddings", """{"model":"x"}""", 400, "invalid_request_error", "\"input\" or \"content\" must be provided" },
        { "POST", "/v1/embeddings", """{"input":[]}""", 500, "server_error", "\"prompt\" must not be empty" },
        { "POST", "/v1/completions", """{"prompt":"one two three four five six"}""", 400, "exceed_context_size_error", "request (6 tokens) exceeds the available context size (5 tokens), try increasing it" },
        { "POST", "/v1/embeddings", """{"input":["ok","one two three four five six seven"]}""", 500, "server_error", "input (7 tokens) is too large to process. increase the physical batch size (current batch size: 6)" },
        { "GET", "/v1/nothing", "", 404, "not_found_error", "File Not Found" },
        { "POST", "/v1/batches", "{}", 404, "not_found_error", "File Not Found" },
        { "GET", "/v1/batches", "", 404, "not_found_error", "File Not Found" },
        { "GET", "/v1/completions", "", 404, "not_found_error", "File Not Found" },
        { "POST", "/health", "{}", 404, "not_found_error", "File Not Found" },
    };

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public async Task Request_Invalid_ReturnsLlamaServerError(string method, string path, string body, int status, string type, string messageStart)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ContextSize = 5, MaxEmbeddingTokensPerInput = 6 });
        using var http = CreateClient(gateway);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);

        var message = await AssertErrorAsync(response, (HttpStatusCode)status, type, null);
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);
        Assert.StartsWith(messageStart, message, StringComparison.Ordinal);
        Assert.Equal(0, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task Completions_PromptTooLong_CarriesTokenCounts()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ContextSize = 2 });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(5, (int)json["error"]!["n_prompt_tokens"]!);
        Assert.Equal(2, (int)json["error"]!["n_ctx"]!);
        Assert.Equal(400, (int)json["error"]!["code"]!);
    }

    [Fact]
    public async Task Embeddings_Disabled_Returns501NotSupported()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { EnableEmbeddings = false });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/embeddings", """{"input":"x"}""");

        await AssertErrorAsync(response, HttpStatusCode.NotImplemented, "not_supported_error",
            "This server does not support embeddings. Start it with `--embeddings`");
    }

    [Fact]
    public async Task NotFound_Body_MatchesLlamaServerExactly()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync("/v1/batches");

        Assert.Equal("""{"error":{"message":"File Not Found","type":"not_found_error","code":404}}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("Authorization", "Bearer sk-test")]
    [InlineData("Authorization", "sk-test")]
    [InlineData("X-Api-Key", "sk-test")]
    public async Task ApiKey_AcceptedHeaderForms_Succeed(string header, string value)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"x"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/v1/completions", null)]
    [InlineData("POST", "/v1/completions", "Bearer wrong")]
    [InlineData("GET", "/props", null)]
    [InlineData("GET", "/v1/unknown", null)]
    [InlineData("POST", "/v1/batches", null)]
    public async Task ApiKey_MissingOrWrong_Returns401BeforeRouting(string method, string path, string? authorization)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("""{"prompt":"x"}""", Encoding.UTF8, "application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/v1/models")]
    public async Task ApiKey_PublicRoutes_NeedNoKey(string path)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
