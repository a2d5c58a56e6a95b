using System.Text;
using LocalBatch.Batches;
using LocalBatch.Server.Tests.Files;
using OpenAI.Chat;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Security;

public sealed class AuthTests
{
    private const string ClientKey = "client-secret-1f2e3d";
    private const string GatewayKey = "gateway-secret-9a8b7c";

    [Theory]
    [InlineData("GET", "/v1/files", null)]
    [InlineData("POST", "/v1/files", null)]
    [InlineData("GET", "/v1/files/file-0123456789abcdef0123456789abcdef/content", null)]
    [InlineData("POST", "/v1/batches", null)]
    [InlineData("GET", "/v1/batches", "Bearer wrong-key")]
    [InlineData("GET", "/v1/batches/batch_0123abcd/results", "Bearer wrong-key")]
    [InlineData("POST", "/v1/chat/completions", null)]
    [InlineData("GET", "/v1/models", "Bearer wrong-key")]
    [InlineData("GET", "/props", $"Basic {ClientKey}")]
    [InlineData("GET", "/no/such/route", ClientKey)]
    public async Task KeySet_EveryRouteButHealth_Is401WithoutTheBearerKey(string method, string path, string? authorization)
    {
        await using var env = await ServeAsync(o => o.ApiKey = ClientKey);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var http = new HttpClient { BaseAddress = env.Server.BaseAddress };
        var response = await http.SendAsync(request);

        var error = await ErrorAsync(response, 401);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.DoesNotContain(ClientKey, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task KeySet_HealthNeedsNone()
    {
        await using var env = await ServeAsync(o => o.ApiKey = ClientKey);
        using var http = new HttpClient { BaseAddress = env.Server.BaseAddress };

        var response = await http.GetAsync("/health");

        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task KeysSet_SdkWithTheKeyWorks_AndTheGatewayGetsOnlyItsOwnKey()
    {
        await using var env = await ServeAsync(
            o =>
            {
                o.ApiKey = ClientKey;
                o.GatewayApiKey = GatewayKey;
            },
            clientKey: ClientKey);
        env.Gateway.Options.ApiKey = GatewayKey; // the gateway refuses any other key, the client's included

        var chat = (await env.Client.GetChatClient("m").CompleteChatAsync([new UserChatMessage("hi")])).Value;
        var job = await env.RunBatchAsync(ChatLines(3));

        Assert.False(string.IsNullOrEmpty(chat.Content[0].Text));
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(3, job.RequestCounts.Completed);
        Assert.DoesNotContain(env.Logs.Lines, line => line.Contains(ClientKey, StringComparison.Ordinal) || line.Contains(GatewayKey, StringComparison.Ordinal));
        AssertNoFileContains(env.Env.StoreDirectory, ClientKey, GatewayKey);
    }

    [Theory]
    [InlineData("Authorization", "Bearer " + GatewayKey)]
    [InlineData("X-Api-Key", GatewayKey)]
    public async Task NoKeys_AKeyTheClientSends_IsNeverForwarded(string header, string value)
    {
        await using var env = await ServeAsync();
        env.Gateway.Options.ApiKey = GatewayKey;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"messages": [{"role": "user", "content": "hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(header, value);

        var response = await env.Http.SendAsync(request);

        // Had the client's key reached the gateway, it would have answered 200.
        Assert.Equal(401, (int)response.StatusCode);
        Assert.Contains("Invalid API Key", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, env.Gateway.Counters.GetRequests(Chat));
    }

    [Fact]
    public async Task NoKeySet_EverythingIsOpen()
    {
        await using var env = await ServeAsync();
        using var http = new HttpClient { BaseAddress = env.Server.BaseAddress };

        var upload = await http.PostAsync("/v1/files", FilesApiTests.Multipart(ChatLines(1), "a.jsonl", "batch"));
        var list = await http.GetAsync("/v1/batches");

        Assert.Equal(200, (int)upload.StatusCode);
        Assert.Equal(200, (int)list.StatusCode);
    }

    private static void AssertNoFileContains(string directory, params string[] secrets)
    {
        foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(path);
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        }
    }
}
