// The official OpenAI .NET SDK running a batch through `localbatch serve`: upload a JSONL file, create a batch, wait for
// it, download its output. The server is hosted in this process (as `localbatch serve` hosts it) in front of the
// built-in simulated llama.cpp gateway, or of a real llama-server when LOCALBATCH_ENDPOINT is set (and
// LOCALBATCH_API_KEY when it was started with --api-key).
using System.ClientModel;
using System.Text;
using System.Text.Json;
using LocalBatch.Server;
using LocalBatch.Testing;
using OpenAI;
using OpenAI.Files;

var endpointVariable = Environment.GetEnvironmentVariable("LOCALBATCH_ENDPOINT");
await using var simulator = string.IsNullOrEmpty(endpointVariable)
    ? await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, Latency = TimeSpan.FromMilliseconds(20) })
    : null;
var gateway = simulator?.Endpoint ?? new Uri(endpointVariable!);
Console.WriteLine(simulator is null ? $"Using the server at {gateway}" : $"Using the simulated llama.cpp gateway at {gateway} (set LOCALBATCH_ENDPOINT for a real one)");

var store = Directory.CreateTempSubdirectory("localbatch-sample-");
try
{
    // 1. `localbatch serve`, in this process: a key of its own for its clients, the gateway's key (if any) for the gateway.
    var serverKey = Convert.ToHexString(Guid.NewGuid().ToByteArray());
    await using var server = await LocalBatchServer.StartAsync(
        options =>
        {
            options.Gateway = gateway;
            options.GatewayApiKey = Environment.GetEnvironmentVariable("LOCALBATCH_API_KEY");
            options.ApiKey = serverKey;
            options.StateDirectory = store.FullName;
        },
        "http://127.0.0.1:0");
    Console.WriteLine($"localbatch serve listening at {server.BaseAddress}v1");

    // 2. Any OpenAI SDK, pointed at it.
    var client = new OpenAIClient(new ApiKeyCredential(serverKey), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
    var files = client.GetOpenAIFileClient();
    var batches = client.GetBatchClient();

    // 3. The batch input file, in OpenAI's format, uploaded with purpose "batch".
    var questions = new[] { "What is a llama?", "Name a prime number.", "Translate 'cheese' into French.", "What colour is the sky?" };
    var lines = questions.Select((question, i) => JsonSerializer.Serialize(new
    {
        custom_id = $"question-{i + 1}",
        method = "POST",
        url = "/v1/chat/completions",
        body = new { messages = new[] { new { role = "user", content = question } }, max_tokens = 24 },
    }));
    using var input = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines) + '\n'));
    OpenAIFile inputFile = await files.UploadFileAsync(input, "questions.jsonl", FileUploadPurpose.Batch);
    Console.WriteLine($"Uploaded {inputFile.Filename} as {inputFile.Id} ({inputFile.SizeInBytesLong} bytes)");

    // 4. The batch, and the SDK waiting for it to end (it polls GET /v1/batches/{id}).
    var body = BinaryData.FromObjectAsJson(new { input_file_id = inputFile.Id, endpoint = "/v1/chat/completions", completion_window = "24h" });
    var operation = await batches.CreateBatchAsync(BinaryContent.Create(body), waitUntilCompleted: true);
    using var batch = JsonDocument.Parse((await operation.GetBatchAsync(options: null)).GetRawResponse().Content.ToString());
    var root = batch.RootElement;
    var counts = root.GetProperty("request_counts");
    Console.WriteLine($"Batch {operation.BatchId}: {root.GetProperty("status").GetString()}, {counts.GetProperty("completed").GetInt32()} of {counts.GetProperty("total").GetInt32()} completed");

    // 5. The output file: one line per request, in the order they finished; match them by custom_id.
    if (root.GetProperty("output_file_id").GetString() is { } outputFileId)
    {
        var output = (await files.DownloadFileAsync(outputFileId)).Value.ToString();
        var results = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement);
        foreach (var result in results.OrderBy(result => result.GetProperty("custom_id").GetString(), StringComparer.Ordinal))
        {
            var answer = result.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            Console.WriteLine($"  {result.GetProperty("custom_id").GetString()}: {answer}");
        }
    }

    return root.GetProperty("status").GetString() == "completed" ? 0 : 1;
}
finally
{
    store.Delete(recursive: true);
}
