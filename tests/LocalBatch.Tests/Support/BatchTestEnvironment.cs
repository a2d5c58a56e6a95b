using System.Text;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Testing;

namespace LocalBatch.Tests.Support;

/// <summary>A simulated gateway, a processor with fast retries and a temporary store directory, for one test.</summary>
internal sealed class BatchTestEnvironment : IAsyncDisposable
{
    public const string Chat = "/v1/chat/completions";

    private int _chatRequests;
    private int _pauseAtChatRequest;
    private TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BatchTestEnvironment(SimulatedGateway gateway, LocalBatchProcessor processor, string storeDirectory)
    {
        Gateway = gateway;
        Processor = processor;
        StoreDirectory = storeDirectory;
    }

    public SimulatedGateway Gateway { get; }

    public LocalBatchProcessor Processor { get; }

    public string StoreDirectory { get; }

    public long ChatRequests => Gateway.Counters.GetRequests(Chat);

    /// <summary>Gets the prompts of the chat requests, in the order they reached the gateway.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> ChatArrivals { get; } = new();

    /// <summary>
    /// Starts a gateway whose requests fail with 400 when their prompt contains <c>FAIL</c>, whose connection breaks
    /// every time when it contains <c>RESET</c>, and which pauses itself
    /// when the chat request number <see cref="PauseAtChatRequest"/> arrives (so the ones before it are answered).
    /// </summary>
    public static async Task<BatchTestEnvironment> StartAsync(int concurrency = 4, int slots = 4)
    {
        BatchTestEnvironment? environment = null;
        var options = new SimulatedGatewayOptions
        {
            Slots = slots,
            FaultSelector = request => environment!.SelectFault(request),
        };
        var gateway = await SimulatedGateway.StartAsync(options);
        var processor = new LocalBatchProcessor(new LocalBatchOptions
        {
            Endpoint = gateway.Endpoint,
            MaxConcurrency = concurrency,
            MaxRetryAttempts = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
        });
        var store = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        environment = new BatchTestEnvironment(gateway, processor, store);
        return environment;
    }

    /// <summary>Pauses the gateway when this chat request (1-based) arrives; 0 never.</summary>
    public void PauseAtChatRequest(int number)
    {
        Volatile.Write(ref _paused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Exchange(ref _chatRequests, 0);
        Volatile.Write(ref _pauseAtChatRequest, number);
    }

    /// <summary>Waits until the request set by <see cref="PauseAtChatRequest"/> has arrived and paused the gateway.</summary>
    public Task WaitForPauseAsync() => Volatile.Read(ref _paused).Task.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>
    /// Waits until the gateway handles no request: a batch may end once its last answer is read, before the gateway
    /// has counted it.
    /// </summary>
    public Task WaitForGatewayIdleAsync() => Gateway.WaitForIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));

    public BatchJobManager CreateManager(BatchJobManagerOptions? options = null, TimeProvider? timeProvider = null)
    {
        options ??= new BatchJobManagerOptions();
        options.StoreDirectory = StoreDirectory;
        return new BatchJobManager(Processor, options, logger: null, timeProvider);
    }

    public static string ChatLine(string customId, string prompt = "hello", string url = Chat) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["custom_id"] = customId,
            ["method"] = "POST",
            ["url"] = url,
            ["body"] = new Dictionary<string, object>
            {
                ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = prompt } },
                ["max_tokens"] = 4,
            },
        });

    public static string ChatLines(int count, Func<int, string>? prompt = null) =>
        string.Concat(Enumerable.Range(1, count).Select(i => ChatLine($"req-{i}", prompt?.Invoke(i) ?? $"prompt {i}") + "\n"));

    public static Stream ToStream(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    public static async Task<List<BatchResultLine>> ReadAllAsync(IAsyncEnumerable<BatchResultLine> lines)
    {
        var list = new List<BatchResultLine>();
        await foreach (var line in lines)
        {
            list.Add(line);
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        Gateway.Resume();
        Processor.Dispose();
        await Gateway.DisposeAsync();
        try
        {
            if (Directory.Exists(StoreDirectory))
            {
                Directory.Delete(StoreDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still open by a stopping runner: the temp folder is cleaned up later.
        }
    }

    private SimulatedFault? SelectFault(SimulatedRequest request)
    {
        if (request.Path != Chat)
        {
            return null;
        }

        var number = Interlocked.Increment(ref _chatRequests);
        if (number == Volatile.Read(ref _pauseAtChatRequest))
        {
            Gateway.Pause();
            Volatile.Read(ref _paused).TrySetResult();
        }

        var body = request.Body?.ToJsonString() ?? string.Empty;
        ChatArrivals.Enqueue(request.Body?["messages"]?[0]?["content"]?.GetValue<string>() ?? string.Empty);
        return body.Contains("FAIL", StringComparison.Ordinal) ? new SimulatedFault(SimulatedFaultKind.BadRequest) { Message = "The prompt was refused" }
            : body.Contains("RESET", StringComparison.Ordinal) ? new SimulatedFault(SimulatedFaultKind.ConnectionReset)
            : null;
    }
}
