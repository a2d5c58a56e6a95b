// LocalBatch semantic search: embed 3,000 support tickets through Microsoft.Extensions.AI's IEmbeddingGenerator (LocalBatch
// sends them as a few array calls), find the ones nearest a question by meaning, and file those with a typed batch over
// an IChatClient (the OpenAI client pointed at the server's /v1, through Microsoft.Extensions.AI.OpenAI).
//
// Runs against the built-in simulated llama.cpp gateway, or real servers when LOCALBATCH_ENDPOINT is set:
//   LOCALBATCH_ENDPOINT             the chat model's llama-server (and the embeddings', unless the next one is set)
//   LOCALBATCH_EMBEDDINGS_ENDPOINT  an embeddings model's llama-server, started with --embeddings (optional)
//   LOCALBATCH_API_KEY, LOCALBATCH_MODEL  the key, if the servers have one; the model name to send (llama-server ignores it)
// The simulated gateway's vectors are hashes of the text and its answers are noise words: there the neighbours are
// arbitrary and every answer fails to read as a TicketLabel, which the sample reports per item. Real models make both meaningful.
using System.ClientModel;
using System.Numerics.Tensors;
using LocalBatch;
using LocalBatch.Testing;
using Microsoft.Extensions.AI;
using OpenAI;

var endpointVariable = Environment.GetEnvironmentVariable("LOCALBATCH_ENDPOINT");
await using var simulator = string.IsNullOrEmpty(endpointVariable)
    ? await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, EmbeddingDimensions = 64 })
    : null;
var endpoint = simulator?.Endpoint ?? new Uri(endpointVariable!);
var embeddingsEndpoint = Environment.GetEnvironmentVariable("LOCALBATCH_EMBEDDINGS_ENDPOINT") is { Length: > 0 } e ? new Uri(e) : endpoint;
var apiKey = Environment.GetEnvironmentVariable("LOCALBATCH_API_KEY");
Console.WriteLine(simulator is null ? $"Using the servers at {endpoint} (chat) and {embeddingsEndpoint} (embeddings)" : $"Using the simulated llama.cpp gateway at {endpoint} (set LOCALBATCH_ENDPOINT for a real one)");

// 1. Embed the corpus: one GenerateAsync call; LocalBatch chunks it (256 texts a call) and keeps the server's slots busy.
var tickets = Tickets.Generate(3_000);
using var embedder = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = embeddingsEndpoint, ApiKey = apiKey });
using IEmbeddingGenerator<string, Embedding<float>> generator = embedder.AsEmbeddingGenerator();
var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
var embeddings = await generator.GenerateAsync(tickets.Select(t => t.Text));
Console.WriteLine($"Embedded {embeddings.Count} tickets with {metadata.ProviderName} at {metadata.ProviderUri}: {embeddings[0].Dimensions} dimensions, {embeddings.Usage?.InputTokenCount} tokens");

// 2. Search by meaning: the 100 tickets nearest to a question.
const string Question = "I paid twice and want my money back";
var question = await generator.GenerateVectorAsync(Question);
var nearest = Enumerable.Range(0, tickets.Count)
    .Select(i => (Index: i, Score: TensorPrimitives.CosineSimilarity(question.Span, embeddings[i].Vector.Span)))
    .OrderByDescending(hit => hit.Score)
    .Take(100)
    .ToList();
Console.WriteLine($"Nearest to \"{Question}\":");
foreach (var (index, score) in nearest.Take(3))
{
    Console.WriteLine($"  {score:0.000}  #{tickets[index].Id}: {tickets[index].Text}");
}

Console.WriteLine($"  {nearest.Count(hit => tickets[hit.Index].Category == TicketCategory.Billing)} of the {nearest.Count} nearest were written as billing tickets");

// 3. File them with a typed batch over an IChatClient: the JSON schema of TicketLabel goes with every request.
using var chatServer = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = endpoint, ApiKey = apiKey });
using IChatClient chat = new OpenAIClient(new ApiKeyCredential(apiKey ?? "none"), new OpenAIClientOptions { Endpoint = new Uri(endpoint, "v1") })
    .GetChatClient(Environment.GetEnvironmentVariable("LOCALBATCH_MODEL") ?? "local")
    .AsIChatClient();
var batchOptions = new ChatBatchOptions { MaxConcurrency = await chatServer.GetConcurrencyAsync() }; // the server's total_slots
var conversations = nearest.Select(hit => new[]
{
    new ChatMessage(ChatRole.System, "You file customer support tickets. Answer with JSON only."),
    new ChatMessage(ChatRole.User, tickets[hit.Index].Text),
});
var lastShown = 0;
var progress = new ConsoleProgress(p =>
{
    if (p.Completed % 25 == 0 && p.Completed > Interlocked.Exchange(ref lastShown, p.Completed))
    {
        Console.WriteLine($"  {p.Completed}/{p.Total} answered, {p.Failed} failed, {p.RequestsPerSecond:0.0}/s");
    }
});
var labels = await chat.ProcessBatchAsync<TicketLabel>(
    conversations, TicketJsonContext.Default.Options, new ChatOptions { Temperature = 0, MaxOutputTokens = 80 }, batchOptions, progress);

// 4. Report: the labels read, and every answer that could not be read, per item.
var filed = labels.Where(r => r.IsSuccess).ToList();
Console.WriteLine($"Filed {filed.Count} of {labels.Count} tickets ({batchOptions.MaxConcurrency} at a time):");
foreach (var group in filed.GroupBy(r => r.Value!.Result.Category).OrderByDescending(g => g.Count()))
{
    Console.WriteLine($"  {group.Key,-15} {group.Count(),4}   e.g. \"{group.First().Value!.Result.Summary}\"");
}

if (filed.Count > 0)
{
    var agree = filed.Count(r => r.Value!.Result.Category == tickets[nearest[r.Index].Index].Category);
    Console.WriteLine($"  {agree} of {filed.Count} agree with the category each ticket was written for");
}

var failed = labels.Where(r => !r.IsSuccess).ToList();
foreach (var result in failed.Take(3))
{
    var said = result.Value?.Text is { } text ? $"\n    the model said: \"{(text.Length > 70 ? text[..70] + "…" : text)}\"" : string.Empty;
    Console.WriteLine($"  #{tickets[nearest[result.Index].Index].Id} not filed: {result.Error}{said}");
}

if (failed.Count > 0)
{
    var unreadable = failed.Count(r => r.Error!.Type == ChatClientStructuredBatchExtensions.StructuredOutputErrorType);
    Console.WriteLine($"{failed.Count} tickets not filed, {unreadable} of them because the answer was not a TicketLabel" + (simulator is null
        ? "."
        : ": expected here, the simulated gateway answers noise words. Set LOCALBATCH_ENDPOINT to a real model."));
}

/// <summary>Prints progress as it is reported (<see cref="Progress{T}"/> would post it for later, after the summary).</summary>
internal sealed class ConsoleProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
{
    public void Report(BatchProgress value) => report(value);
}
