// LocalBatch batch file: run an OpenAI batch input file (JSONL) from code, read its output and error files, and
// retry the requests that failed. Runs against the built-in simulated llama.cpp gateway, which rejects one line the
// first time it sees it, or a real llama-server when LOCALBATCH_ENDPOINT is set (and LOCALBATCH_API_KEY when the
// server was started with --api-key).
using System.Text.Json;
using LocalBatch;
using LocalBatch.Batches;
using LocalBatch.Testing;

const int Lines = 20;
const int RejectedLine = 7;

var endpointVariable = Environment.GetEnvironmentVariable("LOCALBATCH_ENDPOINT");
var rejections = 0;
await using var simulator = string.IsNullOrEmpty(endpointVariable)
    ? await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
    {
        Slots = 4,
        Latency = TimeSpan.FromMilliseconds(20),
        // Answer one line's prompt with a 400 the first time only, so that the retry batch below succeeds.
        FaultSelector = request =>
            request.Body?["messages"]?[0]?["content"]?.GetValue<string>() == Prompt(RejectedLine) && Interlocked.Increment(ref rejections) == 1
                ? new SimulatedFault(SimulatedFaultKind.BadRequest) { Message = "Simulated rejection" }
                : null,
    })
    : null;
var endpoint = simulator?.Endpoint ?? new Uri(endpointVariable!);
Console.WriteLine(simulator is null ? $"Using the server at {endpoint}" : $"Using the simulated llama.cpp gateway at {endpoint} (set LOCALBATCH_ENDPOINT for a real one)");

var work = Directory.CreateTempSubdirectory("localbatch-sample-");
try
{
    // 1. The input file, in OpenAI's batch format: one request a line, each with its own custom_id.
    var inputPath = Path.Combine(work.FullName, "input.jsonl");
    await File.WriteAllLinesAsync(inputPath, Enumerable.Range(1, Lines).Select(i => JsonSerializer.Serialize(new
    {
        custom_id = $"request-{i:D2}",
        method = "POST",
        url = "/v1/chat/completions",
        body = new { messages = new[] { new { role = "user", content = Prompt(i) } }, max_tokens = 24 },
    })));

    // 2. The manager keeps each batch's state, input, output and error files in its store directory.
    using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = endpoint, ApiKey = Environment.GetEnvironmentVariable("LOCALBATCH_API_KEY") });
    await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions
    {
        StoreDirectory = Path.Combine(work.FullName, "store"),
        ProgressInterval = TimeSpan.FromMilliseconds(250),
    });

    var batch = await manager.CreateFromFileAsync(inputPath);
    if (batch.Status == BatchStatus.Failed)
    {
        // An invalid input file is not an exception: the batch fails with every problem listed, and nothing is sent.
        foreach (var error in batch.Errors?.Data ?? [])
        {
            Console.WriteLine($"  {error}");
        }

        return 1;
    }

    // 3. Wait for it, with its live progress reported every ProgressInterval and once more at the end.
    Console.WriteLine($"Created {batch.Id} with {batch.RequestCounts.Total} requests to {batch.Endpoint}");
    batch = await manager.WaitAsync(batch.Id, new ConsoleProgress());
    // BatchJsonContext writes OpenAI's batch object exactly (every null field included), without reflection.
    var indented = new BatchJsonContext(new JsonSerializerOptions(BatchJsonContext.Default.Options) { WriteIndented = true });
    Console.WriteLine(JsonSerializer.Serialize(batch, indented.BatchJob));

    // 4. The output file holds the 2xx answers (in the order they finished), the error file every other outcome.
    await foreach (var line in manager.GetResultsAsync(batch.Id))
    {
        Console.WriteLine($"  {line.CustomId}: {OneLine(line.GetBody<ChatCompletionResponse>().Content)}");
    }

    await foreach (var line in manager.GetErrorsAsync(batch.Id))
    {
        // Either the server answered with an error (its status and body), or it never answered (a code and message).
        Console.WriteLine(line.Response is { } response
            ? $"  {line.CustomId} failed: HTTP {response.StatusCode} {response.Body.GetRawText()}"
            : $"  {line.CustomId} failed: {line.Error?.Code} {line.Error?.Message}");
    }

    // 5. A finished batch's failed lines can run again, as a new batch with metadata retry_of.
    if (batch.RequestCounts.Failed == 0)
    {
        Console.WriteLine("Nothing failed, so there is nothing to retry.");
        return 0;
    }

    var retry = await manager.WaitAsync((await manager.RetryFailedAsync(batch.Id)).Id);
    Console.WriteLine($"Retry {retry.Id} (retry_of {retry.Metadata?["retry_of"]}): {retry.RequestCounts.Completed} of {retry.RequestCounts.Total} succeeded");
    await foreach (var line in manager.GetResultsAsync(retry.Id))
    {
        Console.WriteLine($"  {line.CustomId}: {OneLine(line.GetBody<ChatCompletionResponse>().Content)}");
    }

    return retry.RequestCounts.Failed == 0 ? 0 : 1;
}
finally
{
    work.Delete(recursive: true);
}

static string Prompt(int i) => $"Write a haiku about the number {i}.";

static string OneLine(string? text)
{
    var line = (text ?? string.Empty).ReplaceLineEndings(" ").Trim();
    return line.Length <= 60 ? line : line[..60] + "…";
}

/// <summary>Prints each report as it comes (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
internal sealed class ConsoleProgress : IProgress<BatchProgress>
{
    public void Report(BatchProgress value) =>
        Console.WriteLine($"  {value.Completed}/{value.Total} done, {value.Failed} failed, {value.InFlight} in flight, {value.RequestsPerSecond:0} req/s");
}
