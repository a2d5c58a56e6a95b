using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Server.Internal;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using BatchJob = LocalBatch.Batches.BatchJob;

namespace LocalBatch.Server.Tests.Support;

/// <summary>
/// <c>serve</c> (Kestrel on 127.0.0.1, a free port) in front of the simulated gateway of the library's batch tests
/// (FAIL prompts answered 400, pause at chat request N), on a temporary store, with the official OpenAI SDK as client.
/// </summary>
internal sealed class ServerTestEnvironment : IAsyncDisposable
{
    private readonly Action<LocalBatchServerOptions>? _configure;
    private readonly Action<WebApplicationBuilder>? _configureHost;
    private readonly int _concurrency;

    private ServerTestEnvironment(BatchTestEnvironment gateway, Action<LocalBatchServerOptions>? configure, Action<WebApplicationBuilder>? configureHost, int concurrency, string? clientKey)
    {
        Env = gateway;
        _configure = configure;
        _configureHost = configureHost;
        _concurrency = concurrency;
        ClientKey = clientKey;
    }

    /// <summary>Gets the simulated gateway and the store directory.</summary>
    public BatchTestEnvironment Env { get; }

    public SimulatedGateway Gateway => Env.Gateway;

    public LocalBatchServer Server { get; private set; } = null!;

    public string? ClientKey { get; }

    public CollectingLoggerProvider Logs { get; } = new();

    public BatchJobManager Batches => Server.Services.GetRequiredService<BatchJobManager>();

    /// <summary>Gets a plain HTTP client on the server, sending <see cref="ClientKey"/> when there is one.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Gets the SDK's client on <c>{server}/v1</c>, with <see cref="ClientKey"/> (or a key the server ignores) and no retries.</summary>
    public OpenAIClient Client => new(new ApiKeyCredential(ClientKey ?? "unused-key"), new OpenAIClientOptions
    {
        Endpoint = new Uri(Server.BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    public OpenAIFileClient Files => Client.GetOpenAIFileClient();

    public BatchClient BatchClient => Client.GetBatchClient();

    /// <param name="configure">Changes the server's options (gateway, store and fast gateway retries are set already).</param>
    /// <param name="concurrency">Requests in flight per batch; 0 takes the gateway's slots from /props.</param>
    /// <param name="slots">The gateway's slots.</param>
    /// <param name="clientKey">The key the clients send.</param>
    /// <param name="configureHost">Changes the host (such as its clock).</param>
    public static async Task<ServerTestEnvironment> ServeAsync(
        Action<LocalBatchServerOptions>? configure = null,
        int concurrency = 0,
        int slots = 4,
        string? clientKey = null,
        Action<WebApplicationBuilder>? configureHost = null)
    {
        var gateway = await BatchTestEnvironment.StartAsync(slots: slots);
        var environment = new ServerTestEnvironment(gateway, configure, configureHost, concurrency, clientKey);
        try
        {
            await environment.StartServerAsync();
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }

        return environment;
    }

    /// <summary>Starts the server on the same store and options (after <see cref="StopServerAsync"/>).</summary>
    public async Task StartServerAsync()
    {
        Server = await LocalBatchServer.StartAsync(
            options =>
            {
                options.Gateway = Gateway.Endpoint;
                options.StateDirectory = Env.StoreDirectory;
                options.GatewayRetryInterval = TimeSpan.FromMilliseconds(20);
                _configure?.Invoke(options);
            },
            "http://127.0.0.1:0",
            host =>
            {
                host.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs);
                host.Services.Configure<LocalBatchOptions>(gateway =>
                {
                    gateway.MaxConcurrency = _concurrency;
                    gateway.MaxRetryAttempts = 2;
                    gateway.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
                    gateway.MaxRetryDelay = TimeSpan.FromMilliseconds(5);
                });
                _configureHost?.Invoke(host);
            });
        Http = new HttpClient { BaseAddress = Server.BaseAddress };
        if (ClientKey is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClientKey);
        }
    }

    /// <summary>Stops the server as Ctrl+C does: running batches stop unfinished.</summary>
    public async Task StopServerAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    public async Task<OpenAIFile> UploadAsync(string content, string fileName = "requests.jsonl", FileUploadPurpose? purpose = null)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return (await Files.UploadFileAsync(stream, fileName, purpose ?? FileUploadPurpose.Batch)).Value;
    }

    /// <summary>Creates a batch through the SDK (without waiting) and returns the operation and the batch object answered.</summary>
    public async Task<(CreateBatchOperation Operation, JsonElement Batch)> CreateBatchAsync(string inputFileId, string endpoint = BatchTestEnvironment.Chat, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var body = new Dictionary<string, object> { ["input_file_id"] = inputFileId, ["endpoint"] = endpoint, ["completion_window"] = "24h" };
        if (metadata is not null)
        {
            body["metadata"] = metadata;
        }

        var operation = await BatchClient.CreateBatchAsync(BinaryContent.Create(BinaryData.FromObjectAsJson(body)), waitUntilCompleted: false);
        return (operation, Json(operation.GetRawResponse()));
    }

    /// <summary>Uploads a batch file, creates its batch and waits for it to end.</summary>
    public async Task<BatchJob> RunBatchAsync(string content, string endpoint = BatchTestEnvironment.Chat)
    {
        var file = await UploadAsync(content);
        var (_, batch) = await CreateBatchAsync(file.Id, endpoint);
        return await WaitAsync(batch.GetProperty("id").GetString()!);
    }

    public Task<BatchJob> WaitAsync(string batchId) => Batches.WaitAsync(batchId).WaitAsync(TimeSpan.FromSeconds(30));

    public static JsonElement Json(PipelineResponse response) => JsonDocument.Parse(response.Content.ToString()).RootElement.Clone();

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Reads an answer that must be an OpenAI error with <paramref name="status"/>; returns its <c>error</c> object.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // never a stack trace
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        return error;
    }

    /// <summary>The custom ids of a JSONL text, in order.</summary>
    public static List<string> CustomIds(string jsonl) =>
        [.. jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()!)];

    public static IEnumerable<string> Expected(int count) => Enumerable.Range(1, count).Select(i => $"req-{i}").Order(StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Env.DisposeAsync();
        Logs.Dispose();
    }

    /// <summary>Gets the server's internal service (tests reach the retention sweep directly).</summary>
    public T GetService<T>()
        where T : notnull => Server.Services.GetRequiredService<T>();

    /// <summary>Gets the retention sweep.</summary>
    public RetentionService Retention => GetService<RetentionService>();
}
