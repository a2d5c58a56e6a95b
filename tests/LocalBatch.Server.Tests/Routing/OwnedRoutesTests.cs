using System.Text;
using System.Text.Json;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Routing;

/// <summary>Every route under /v1/files, /v1/batches and /v1/messages/batches is serve's own: an unknown one is never proxied.</summary>
public sealed class OwnedRoutesTests
{
    [Theory]
    [InlineData("DELETE", "/v1/batches/batch_0123abcd", "GET")]
    [InlineData("PUT", "/v1/batches", "POST, GET")]
    [InlineData("GET", "/v1/batches/batch_0123abcd/cancel", "POST")]
    [InlineData("POST", "/v1/files/file-0123456789abcdef0123456789abcdef/content", "GET")]
    [InlineData("PATCH", "/v1/files/file-0123456789abcdef0123456789abcdef", "GET, DELETE")]
    public async Task KnownPathOtherMethod_Is405InOpenAIShapeWithAllow_NeverProxied(string method, string path, string allow)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var error = await ErrorAsync(response, 405);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(method, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData("GET", "/v1/batches/batch_0123abcd/unknown")]
    [InlineData("POST", "/v1/batches/batch_0123abcd/cancel/now")]
    [InlineData("GET", "/v1/files/a/b/c")]
    [InlineData("DELETE", "/v1/files/file-0123456789abcdef0123456789abcdef/content/x")]
    public async Task UnknownPathUnderAnOwnedRoot_Is404InOpenAIShape_NeverProxied(string method, string path)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var error = await ErrorAsync(response, 404);
        Assert.StartsWith($"Invalid URL ({method} {path})", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData("PUT", "/v1/messages/batches/msgbatch_0123abcd", 405, "invalid_request_error")]
    [InlineData("GET", "/v1/messages/batches/msgbatch_0123abcd/cancel", 405, "invalid_request_error")]
    [InlineData("GET", "/v1/messages/batches/msgbatch_0123abcd/other", 404, "not_found_error")]
    [InlineData("PATCH", "/v1/messages/batches", 405, "invalid_request_error")]
    public async Task UnknownMessageBatchRoute_AnswersInAnthropicsShape_NeverProxied(string method, string path, int status, string type)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var error = await AnthropicErrorAsync(response, status);
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task MessagesAndResponsesThemselves_AreStillProxiedToTheGateway()
    {
        await using var env = await ServeAsync();

        var message = await env.Http.PostAsync("/v1/messages", new StringContent("""{"max_tokens":2,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        var response = await env.Http.PostAsync("/v1/responses", new StringContent("""{"input":"hi","max_output_tokens":2}""", Encoding.UTF8, "application/json"));

        Assert.Equal("message", (await JsonAsync(message)).GetProperty("type").GetString());
        Assert.Equal("response", (await JsonAsync(response)).GetProperty("object").GetString());
        Assert.Equal(1, env.Gateway.Counters.GetRequests("/v1/messages"));
        Assert.Equal(1, env.Gateway.Counters.GetRequests("/v1/responses"));
    }

    /// <summary>Reads an answer that must be an Anthropic error with <paramref name="status"/>; returns its <c>error</c> object.</summary>
    internal static async Task<JsonElement> AnthropicErrorAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        var root = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal("error", root.GetProperty("type").GetString());
        var error = root.GetProperty("error");
        Assert.Equal(["type", "message"], error.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error;
    }
}
