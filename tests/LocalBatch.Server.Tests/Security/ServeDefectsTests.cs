using System.Text;
using LocalBatch.Server.Proxy.Internal;
using Microsoft.AspNetCore.Http;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Security;

/// <summary>Defects a black-box attack on serve found: each request here got a wrong answer, or reached the gateway with what it should not.</summary>
public sealed class ServeDefectsTests
{
    private const string ClientKey = "client-secret-55aa";

    [Theory]
    [InlineData("input_file_id", "{\"input_file_id\":\"file-\\ud800\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")]
    [InlineData("endpoint", "{\"input_file_id\":\"file-1\",\"endpoint\":\"/v1/\\udfff\",\"completion_window\":\"24h\"}")]
    [InlineData("metadata", "{\"input_file_id\":\"file-1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"k\":\"\\ud800\"}}")]
    [InlineData("metadata", "{\"input_file_id\":\"file-1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"\\ud800\":\"v\"}}")]
    public async Task CreateBatch_LoneSurrogateInAStringField_Is400NamingTheField(string param, string body)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.PostAsync("v1/batches", new StringContent(body, Encoding.UTF8, "application/json"));

        var error = await ErrorAsync(response, 400);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_value", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task CreateBatch_InvalidUtf8InAStringField_Is400NamingTheField()
    {
        await using var env = await ServeAsync();
        byte[] body = [.. "{\"input_file_id\":\"file-"u8, 0xC3, 0x28, .. "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"u8];

        var response = await env.Http.PostAsync("v1/batches", new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } });

        // Invalid UTF-8 is refused by the JSON reader itself (a 400 for the body), or when the field is read (a 400 naming it).
        var error = await ErrorAsync(response, 400);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("POST", "/health")]
    [InlineData("PUT", "/health")]
    [InlineData("DELETE", "/health")]
    [InlineData("GET", "/HEALTH")]
    [InlineData("GET", "/Health")]
    public async Task KeySet_HealthOtherThanGetOrHeadSpeltSo_NeedsTheKey(string method, string path)
    {
        await using var env = await ServeAsync(o => o.ApiKey = ClientKey, clientKey: ClientKey);
        using var http = new HttpClient { BaseAddress = env.Server.BaseAddress };
        var before = env.Gateway.Counters.TotalRequests;

        var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}") });

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal(before, env.Gateway.Counters.TotalRequests);
        Assert.Equal(200, (int)(await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task GatewayDown_502NeverShowsUserInfo_AndTheAddressOnlyToACallerWithTheKey()
    {
        await using var env = await ServeAsync(
            o => (o.ApiKey, o.Gateway) = (ClientKey, new UriBuilder(o.Gateway) { UserName = "ops", Password = "SECRETPW" }.Uri),
            clientKey: ClientKey);
        await env.Gateway.StopListeningAsync();
        using var open = new HttpClient { BaseAddress = env.Server.BaseAddress };

        var health = await (await open.GetAsync("/health")).Content.ReadAsStringAsync();
        var models = await (await env.Http.GetAsync("/v1/models")).Content.ReadAsStringAsync();

        var address = $"127.0.0.1:{env.Gateway.Endpoint.Port}";
        Assert.DoesNotContain("SECRETPW", health + models, StringComparison.Ordinal);
        Assert.DoesNotContain("ops", health + models, StringComparison.Ordinal);
        Assert.DoesNotContain(address, health, StringComparison.Ordinal);
        Assert.Contains(address, models, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_CredentialLikeHeadersAndQueryParameters_NeverReachTheGateway()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/chat/completions";
        context.Request.QueryString = new QueryString("?api_key=s1&key=s2&access_token=s3&limit=5&order=desc");
        foreach (var name in new[] { "Authorization", "X-Api-Key", "api-key", "OpenAI-Api-Key", "X-Goog-Api-Key", "Proxy-Authorization", "Cookie", "X-Auth-Token" })
        {
            context.Request.Headers[name] = "client-secret";
        }

        context.Request.Headers["X-Request-Id"] = "kept";
        using var proxied = new HttpRequestMessage();

        await new GatewayRequestTransformer("gateway-key").TransformRequestAsync(context, proxied, "http://127.0.0.1:9", CancellationToken.None);

        Assert.Equal("?limit=5&order=desc", proxied.RequestUri!.Query);
        Assert.Equal("Bearer gateway-key", proxied.Headers.Authorization?.ToString());
        Assert.DoesNotContain(proxied.Headers, header => header.Value.Contains("client-secret"));
        Assert.Equal("kept", proxied.Headers.GetValues("X-Request-Id").Single());
    }
}
