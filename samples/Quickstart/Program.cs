// LocalBatch quickstart: completions, chat and embeddings batches with progress.
// Runs against the built-in simulated llama.cpp gateway, or a real llama-server when LOCALBATCH_ENDPOINT is set
// (and LOCALBATCH_API_KEY when the server was started with --api-key).
using LocalBatch;
using LocalBatch.Testing;

var endpointVariable = Environment.GetEnvironmentVariable("LOCALBATCH_ENDPOINT");
await using var simulator = string.IsNullOrEmpty(endpointVariable)
    ? await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, Latency = TimeSpan.FromMilliseconds(20) })
    : null;
var endpoint = simulator?.Endpoint ?? new Uri(endpointVariable!);
Console.WriteLine(simulator is null ? $"Using the server at {endpoint}" : $"Using the simulated llama.cpp gateway at {endpoint} (set LOCALBATCH_ENDPOINT for a real one)");

using var processor = new LocalBatchProcessor(new LocalBatchOptions
{
    Endpoint = endpoint,
    ApiKey = Environment.GetEnvironmentVariable("LOCALBATCH_API_KEY"),
});
Console.WriteLine($"Concurrency: {await processor.GetConcurrencyAsync()} (the server's total_slots)");

// 1. Completions: 100 prompts, at most total_slots in flight, results in input order.
// Progress comes once for each finished prompt, in order (1, 2, … 100), the last before the call returns. It is printed
// as it comes (ConsoleProgress, below): a Progress<T> would post each report to the thread pool, where it could be
// printed after the summary line.
var prompts = Enumerable.Range(1, 100).Select(i => $"Write a one-line poem about the number {i}.").ToList();
var progress = new ConsoleProgress(p =>
{
    if (p.Completed % 25 == 0 && p.Completed > 0)
    {
        Console.WriteLine($"  {p.Completed}/{p.Total} done, {p.Failed} failed, {p.RequestsPerSecond:0.0} req/s, ETA {p.EstimatedRemaining:mm\\:ss}");
    }
});
var completions = await processor.ProcessBatchCompletionsAsync(prompts, new CompletionOptions { MaxTokens = 12, Temperature = 0.7 }, progress);
Console.WriteLine($"Completions: {completions.Count(r => r.IsSuccess)}/{completions.Count} succeeded. First: \"{completions[0].Value?.Text}\"");

// 2. Chat: each request carries its own conversation.
var chats = await processor.ProcessBatchChatCompletionsAsync(
    new[] { "red", "green", "blue" }.Select(colour => new ChatCompletionRequest
    {
        Messages = [ChatCompletionMessage.System("You are terse."), ChatCompletionMessage.User($"Name a fruit that is {colour}.")],
        MaxTokens = 8,
    }));
foreach (var chat in chats)
{
    Console.WriteLine(chat.IsSuccess ? $"Chat {chat.Index}: {chat.Value.Content}" : $"Chat {chat.Index} failed: {chat.Error}");
}

// 3. Embeddings: one call with an array input (chunked only past MaxEmbeddingInputsPerRequest).
var embeddings = await processor.ProcessBatchEmbeddingsAsync(prompts.Take(10));
Console.WriteLine($"Embeddings: {embeddings.Data.Count} vectors of {embeddings.Data[0].Embedding.Length} dimensions, {embeddings.Usage?.PromptTokens} prompt tokens");

/// <summary>An <see cref="IProgress{T}"/> that handles each report at once, on the thread that made it.</summary>
internal sealed class ConsoleProgress(Action<BatchProgress> handler) : IProgress<BatchProgress>
{
    public void Report(BatchProgress value) => handler(value);
}
