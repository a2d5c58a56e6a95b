using System.Text;
using LocalBatch.Batches;
using LocalBatch.Server.Tests.Files;
using LocalBatch.Server.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Security;

public sealed class AuthTests
{
    private const string ClientKey = "client-secret-1f2e3d";
    private const string GatewayKey = "gateway-secret-9a8b7c";

    /// <summary>
    /// Every route the server maps (read from its endpoints, so that a new one is tried too), with every method it takes,
    /// and for the catch-alls a sample of gateway paths and methods: without the key, or with a wrong one (as a bearer
    /// token or as x-api-key), each is a 401 in its API's shape that reaches nothing; with it, none is.
    /// </summary>
    [Fact]
    public async Task KeySet_EveryMappedRouteButHealth_NeedsTheKey()
    {
        await using var env = await ServeAsync(o => (o.ApiKey, o.GatewayApiKey) = (ClientKey, GatewayKey), clientKey: ClientKey);
        env.Gateway.Options.ApiKey = GatewayKey;
        var job = await env.RunBatchAsync(ChatLines(2));
        var samples = new Dictionary<string, string>
        {
            ["fileId"] = (await env.UploadAsync(ChatLines(1))).Id,
            ["batchId"] = job.Id,
            ["messageBatchId"] = "msgbatch_" + job.Id["batch_".Length..],
            ["documentName"] = "v1",
        };
        var requests = MappedRequests(env, samples);
        (string Header, string? Value)[] refused =
        [
            ("Authorization", null), ("Authorization", "Bearer wrong-key"), ("Authorization", $"Basic {ClientKey}"), ("Authorization", ClientKey),
            ("Authorization", $"Bearer {ClientKey}x"), ("Authorization", $"Bearer {GatewayKey}"), ("Authorization", "Bearer"),
            ("x-api-key", "wrong-key"), ("x-api-key", $"Bearer {ClientKey}"), ("x-api-key", GatewayKey), ("x-api-key", $"{ClientKey}x"),
        ];
        var sentBefore = env.Gateway.Counters.TotalRequests;
        using var http = new HttpClient { BaseAddress = env.Server.BaseAddress };

        foreach (var (method, path, _) in requests)
        {
            foreach (var (header, value) in refused)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (value is not null)
                {
                    request.Headers.TryAddWithoutValidation(header, value);
                }

                var response = await http.SendAsync(request);

                Assert.True((int)response.StatusCode == 401, $"{method} {path} with {header} '{value}': {(int)response.StatusCode}");
                if (method == "HEAD")
                {
                    continue;
                }

                if (path.StartsWith("/v1/messages/batches", StringComparison.Ordinal))
                {
                    Assert.Equal("authentication_error", (await Routing.OwnedRoutesTests.AnthropicErrorAsync(response, 401)).GetProperty("type").GetString());
                }
                else
                {
                    Assert.Equal("invalid_api_key", (await ErrorAsync(response, 401)).GetProperty("code").GetString());
                }
            }
        }

        Assert.Equal(sentBefore, env.Gateway.Counters.TotalRequests);
        foreach (var (method, path, _) in requests.OrderBy(request => request.Method == "DELETE"))
        {
            var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True((int)response.StatusCode != 401, $"{method} {path} with the key: 401");
        }

        // files: upload, list, get, content, delete; batches: create, list, get, cancel, results; message batches: create,
        // list, get, cancel, delete, results; the server's metrics, the gateway's, the OpenAPI document.
        Assert.Equal(19, requests.Count(request => !request.Proxied));
    }

    [Theory]
    [InlineData("/v1/batches")]
    [InlineData("/v1/files")]
    [InlineData("/v1/messages/batches")]
    public async Task KeySet_XApiKeyHeader_IsAcceptedAsBearerIs(string path)
    {
        await using var env = await ServeAsync(o => o.ApiKey = ClientKey);
        using var http = new HttpClient { BaseAddress = env.Server.BaseAddress };
        http.DefaultRequestHeaders.Add("x-api-key", ClientKey);

        var response = await http.GetAsync(path);

        Assert.Equal(200, (int)response.StatusCode);
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

    /// <summary>
    /// A request for every method of every route the server maps, its parameters filled from <paramref name="samples"/>;
    /// the catch-all that proxies to the gateway gets a sample of paths (and of methods, as it takes any).
    /// </summary>
    private static List<(string Method, string Path, bool Proxied)> MappedRequests(ServerTestEnvironment env, Dictionary<string, string> samples)
    {
        string[] anyMethod = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
        string[] proxied = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models", "/props", "/tokenize", "/slots", "/metrics", "/no/such/route", "/health/", "/v1/health", "/v1/files/x/y/z", "/v1/messages/batches/x/y"];
        var requests = new List<(string, string, bool)>();
        // The dashboard's routes take a session instead of the key: Dashboard/DashboardAuthTests tries each of them.
        foreach (var endpoint in env.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => !endpoint.RoutePattern.RawText!.StartsWith("/ui/", StringComparison.Ordinal)))
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? anyMethod;
            var pattern = endpoint.RoutePattern;
            var catchAll = pattern.Parameters.Any(parameter => parameter.IsCatchAll);
            var paths = catchAll
                ? proxied
                : [pattern.Parameters.Aggregate(pattern.RawText!, (path, parameter) => path.Replace($"{{{parameter.Name}}}", samples.TryGetValue(parameter.Name, out var value) ? value : throw new InvalidOperationException($"No sample value for the route parameter {{{parameter.Name}}} of {pattern.RawText}."), StringComparison.Ordinal))];
            requests.AddRange(methods.SelectMany(method => paths.Select(path => (method, path, catchAll))));
        }

        return requests;
    }
}
