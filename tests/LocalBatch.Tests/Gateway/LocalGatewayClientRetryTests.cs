using System.Net;
using System.Text.Json;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Gateway;

/// <summary>What the client retries, what it does not, and what its errors carry.</summary>
public sealed class LocalGatewayClientRetryTests
{
    private const string Completions = MockGateway.BaseUrl + "/v1/completions";

    [Theory]
    [InlineData(400, "invalid_request_error", "'messages' is required")]
    [InlineData(401, "authentication_error", "Invalid API Key")]
    [InlineData(404, "not_found_error", "File Not Found")]
    [InlineData(400, "exceed_context_size_error", "request (601 tokens) exceeds the available context size (512 tokens), try increasing it")]
    [InlineData(500, "server_error", "input (601 tokens) is too large to process. increase the physical batch size (current batch size: 512)")]
    [InlineData(500, "server_error", "[json.exception.parse_error.101] parse error at line 1, column 19")]
    [InlineData(500, "server_error", "\\\"prompt\\\" must not be empty")]
    [InlineData(501, "not_supported_error", "This server does not support embeddings.")]
    public async Task CreateCompletionAsync_PermanentError_IsNotRetriedAndCarriesDetails(int status, string type, string message)
    {
        using var mock = new MockHttpMessageHandler();
        var request = mock.When(HttpMethod.Post, Completions).Respond((HttpStatusCode)status, "application/json", MockGateway.ErrorBody(status, type, message));
        using var client = MockGateway.CreateClient(mock);

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" }));

        Assert.Equal(1, mock.GetMatchCount(request));
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(type, ex.ErrorType);
        Assert.Equal(GatewayErrorKind.Request, ex.Kind);
        Assert.False(ex.IsTransient);
        Assert.Equal("/v1/completions", ex.Path);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Contains(type, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task CreateCompletionAsync_TransientStatusThenSuccess_Retries(int status)
    {
        using var mock = new MockHttpMessageHandler();
        var calls = 0;
        mock.When(HttpMethod.Post, Completions).Respond(_ => Interlocked.Increment(ref calls) == 1
            ? MockGateway.Json(MockGateway.ErrorBody(status, "unavailable_error", "Loading model"), (HttpStatusCode)status)
            : MockGateway.Json(ReferenceResponses.Completion, HttpStatusCode.OK));
        using var client = MockGateway.CreateClient(mock);

        var response = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" });

        Assert.Equal(2, calls);
        Assert.Equal("ulpembre genom", response.Text);
    }

    [Fact]
    public async Task CreateCompletionAsync_TransientStatusPersists_FailsAfterAllAttempts()
    {
        using var mock = new MockHttpMessageHandler();
        var request = mock.When(HttpMethod.Post, Completions).Respond(HttpStatusCode.ServiceUnavailable, "application/json", MockGateway.ErrorBody(503, "unavailable_error", "Loading model"));
        using var client = MockGateway.CreateClient(mock, o => o.MaxRetryAttempts = 4);

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" }));

        Assert.Equal(5, mock.GetMatchCount(request));
        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(GatewayErrorKind.Server, ex.Kind);
        Assert.Equal("Loading model", ex.ServerMessage);
    }

    [Fact]
    public async Task CreateCompletionAsync_TruncatedBodyThenValid_Retries()
    {
        using var mock = new MockHttpMessageHandler();
        var calls = 0;
        mock.When(HttpMethod.Post, Completions).Respond(_ => Interlocked.Increment(ref calls) == 1
            ? MockGateway.Json(ReferenceResponses.Completion[..80], HttpStatusCode.OK)
            : MockGateway.Json(ReferenceResponses.Completion, HttpStatusCode.OK));
        using var client = MockGateway.CreateClient(mock);

        var response = await client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" });

        Assert.Equal(2, calls);
        Assert.NotNull(response.Text);
    }

    [Fact]
    public async Task CreateCompletionAsync_BodyAlwaysTruncated_FailsAsInvalidResponse()
    {
        using var mock = new MockHttpMessageHandler();
        var request = mock.When(HttpMethod.Post, Completions).Respond("application/json", "{\"choices\":[{\"text\":\"abc");
        using var client = MockGateway.CreateClient(mock, o => o.MaxRetryAttempts = 2);

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" }));

        Assert.Equal(3, mock.GetMatchCount(request));
        Assert.Equal(GatewayErrorKind.InvalidResponse, ex.Kind);
        Assert.IsType<JsonException>(ex.InnerException, exactMatch: false);
    }

    [Fact]
    public async Task CreateCompletionAsync_ConnectionRefused_RetriesThenFailsUnreachable()
    {
        using var mock = new MockHttpMessageHandler();
        var request = mock.When(HttpMethod.Post, Completions).Throw(new HttpRequestException("Connection refused (127.0.0.1:8080)"));
        using var client = MockGateway.CreateClient(mock, o => o.MaxRetryAttempts = 2);

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" }));

        Assert.Equal(3, mock.GetMatchCount(request));
        Assert.Equal(GatewayErrorKind.Unreachable, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.Contains("127.0.0.1:8080", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateCompletionAsync_429WithRetryAfter_WaitsWhatTheServerAsks()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger<LocalGatewayClient>();
        using var mock = new MockHttpMessageHandler();
        var calls = 0;
        mock.When(HttpMethod.Post, Completions).Respond(_ =>
        {
            if (Interlocked.Increment(ref calls) > 1)
            {
                return MockGateway.Json(ReferenceResponses.Completion, HttpStatusCode.OK);
            }

            var response = MockGateway.Json(MockGateway.ErrorBody(429, "rate_limit_error", "slow down"), HttpStatusCode.TooManyRequests);
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(2));
            return response;
        });
        using var client = MockGateway.CreateClient(mock, o => o.MaxRetryDelay = TimeSpan.FromSeconds(30), logger, time);

        var pending = client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" });
        await logger.WaitForAsync("Retrying POST /v1/completions");
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, Volatile.Read(ref calls));
        for (var i = 0; i < 100 && !pending.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Yield();
        }

        await pending;
        Assert.Equal(2, calls);
        Assert.Contains(logger.Lines, line => line.Contains("in 2000 ms", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exceptions_WithApiKey_NeverContainTheKey()
    {
        const string key = "sk-very-secret-key-987";
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, Completions).Respond(HttpStatusCode.Unauthorized, "application/json", MockGateway.ErrorBody(401, "authentication_error", "Invalid API Key"));
        mock.When(HttpMethod.Post, MockGateway.BaseUrl + "/v1/chat/completions").Throw(new HttpRequestException("Connection reset by peer"));
        var logger = new ListLogger<LocalGatewayClient>();
        using var client = MockGateway.CreateClient(mock, o => o.ApiKey = key, logger);

        var unauthorized = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateCompletionAsync(new CompletionRequest { Prompt = "x" }));
        var unreachable = await Assert.ThrowsAsync<LocalGatewayException>(() => client.CreateChatCompletionAsync(new ChatCompletionRequest { Messages = [ChatCompletionMessage.User("x")] }));

        Assert.Contains("ApiKey", unauthorized.Message, StringComparison.Ordinal);
        foreach (var text in new[] { unauthorized.ToString(), unreachable.ToString(), string.Join('\n', logger.Lines), client.ToString()! })
        {
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SendAsync_RequestError_ReturnsStatusAndBodyWithoutThrowing()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, MockGateway.BaseUrl + "/v1/chat/completions").Respond(HttpStatusCode.BadRequest, "application/json", MockGateway.ErrorBody(400, "invalid_request_error", "'messages' is required"));
        using var client = MockGateway.CreateClient(mock);
        using var body = JsonDocument.Parse("""{"model":"x"}""");

        var response = await client.SendAsync("/v1/chat/completions", body.RootElement);

        Assert.Equal(400, response.StatusCode);
        Assert.False(response.IsSuccess);
        Assert.Equal("invalid_request_error", response.Body.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task SendAsync_TransientThenSuccess_RetriesAndReturnsBody()
    {
        using var mock = new MockHttpMessageHandler();
        var calls = 0;
        mock.When(HttpMethod.Post, Completions).WithPartialContent("\"top_k\":40").Respond(_ => Interlocked.Increment(ref calls) == 1
            ? MockGateway.Json("<html>bad gateway</html>", HttpStatusCode.BadGateway)
            : MockGateway.Json(ReferenceResponses.Completion, HttpStatusCode.OK));
        using var client = MockGateway.CreateClient(mock);
        using var body = JsonDocument.Parse("""{"prompt":"x","top_k":40}""");

        var response = await client.SendAsync("/v1/completions", body.RootElement);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(2, calls);
        Assert.Equal("text_completion", response.Body.GetProperty("object").GetString());
    }

    [Fact]
    public async Task SendAsync_TransientPersists_ReturnsLastAnswerAsJson()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, Completions).Respond(HttpStatusCode.BadGateway, "text/html", "<html>bad gateway</html>");
        using var client = MockGateway.CreateClient(mock, o => o.MaxRetryAttempts = 1);
        using var body = JsonDocument.Parse("""{"prompt":"x"}""");

        var response = await client.SendAsync("/v1/completions", body.RootElement);

        Assert.Equal(502, response.StatusCode);
        Assert.Equal(502, response.Body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("bad gateway", response.Body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
