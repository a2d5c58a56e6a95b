// LocalBatch request queue: a producer submits prompts while a consumer reads each result by its id.
// Runs against the built-in simulated llama.cpp gateway, or a real llama-server when LOCALBATCH_ENDPOINT is set
// (and LOCALBATCH_API_KEY when the server was started with --api-key).
using System.Threading.Channels;
using LocalBatch;
using LocalBatch.Testing;

const int Prompts = 40;

var endpointVariable = Environment.GetEnvironmentVariable("LOCALBATCH_ENDPOINT");
await using var simulator = string.IsNullOrEmpty(endpointVariable)
    ? await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, Latency = TimeSpan.FromMilliseconds(20) })
    : null;
var endpoint = simulator?.Endpoint ?? new Uri(endpointVariable!);
Console.WriteLine(simulator is null ? $"Using the server at {endpoint}" : $"Using the simulated llama.cpp gateway at {endpoint} (set LOCALBATCH_ENDPOINT for a real one)");

using var client = new LocalGatewayClient(endpoint, Environment.GetEnvironmentVariable("LOCALBATCH_API_KEY"));

// MaxWorkers is left at 0: one worker per server slot (/props total_slots). Capacity 8: the producer waits while
// 8 prompts are queued, so memory stays bounded however many prompts it has.
await using var queue = new RequestQueue(client, new RequestQueueOptions { Capacity = 8 });

// The producer tells the consumer which ids to collect, in the order it submitted them.
var submitted = Channel.CreateUnbounded<string>();

var producer = Task.Run(async () =>
{
    try
    {
        for (var i = 1; i <= Prompts; i++)
        {
            var id = $"haiku-{i:D2}";
            await queue.SubmitAsync(id, new CompletionRequest { Prompt = $"Write a haiku about the number {i}.", MaxTokens = 24 });
            await submitted.Writer.WriteAsync(id);
        }
    }
    finally
    {
        submitted.Writer.Complete();
    }
});

var consumer = Task.Run(async () =>
{
    var completed = 0;
    await foreach (var id in submitted.Reader.ReadAllAsync())
    {
        // Waits for this one result without polling; reading it releases it from the queue.
        var result = await queue.GetResultAsync(id, TimeSpan.FromMinutes(5));
        if (result.Status == RequestStatus.Completed)
        {
            completed++;
            var took = result.FinishedAt - result.StartedAt;
            Console.WriteLine($"{id} ({took?.TotalMilliseconds:0} ms, {queue.Stats.Queued} queued): {OneLine(result.GetValue<CompletionResponse>().Text)}");
        }
        else
        {
            Console.WriteLine($"{id}: {result.Status} {result.Error}");
        }
    }

    return completed;
});

await producer;
var done = await consumer;
await queue.WaitCompletionAsync();

var stats = queue.Stats;
Console.WriteLine($"{done}/{Prompts} completed, {stats.Failed} failed; {stats.Workers} workers, peak concurrency {stats.PeakConcurrency}; {stats.Retained} results left in memory.");
return done == Prompts ? 0 : 1;

static string OneLine(string? text)
{
    var line = (text ?? string.Empty).ReplaceLineEndings(" ").Trim();
    return line.Length <= 60 ? line : line[..60] + "…";
}
