using System.ClientModel;
using LocalBatch.Testing;
using Microsoft.Extensions.AI;
using OpenAI;

namespace LocalBatch.Tests.AI;

/// <summary>
/// Batches over the IChatClient that Microsoft.Extensions.AI.OpenAI makes of the OpenAI client pointed at a llama-server
/// (here the simulated one): the usual way to reach llama.cpp through Microsoft.Extensions.AI.
/// </summary>
public sealed class ChatClientOverSimulatedGatewayTests
{
    [Fact]
    public async Task ProcessBatchAsync_OpenAIChatClientOnTheGateway_BoundedAndInInputOrder()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4 });
        using var chat = ChatClientFor(gateway);
        using var processor = new LocalBatchProcessor(gateway.Endpoint);
        var questions = Enumerable.Range(0, 30).Select(i => $"Name a fruit number {i}.").ToList();

        gateway.Pause();
        var batch = chat.ProcessBatchAsync(
            questions.Select(q => (IEnumerable<ChatMessage>)[new ChatMessage(ChatRole.User, q)]),
            new ChatOptions { MaxOutputTokens = 5 },
            new ChatBatchOptions { MaxConcurrency = 2 });
        await gateway.WaitForInFlightAsync(2);
        gateway.Resume();
        var results = await batch;
        var direct = await processor.Client.CreateChatCompletionAsync(new ChatCompletionRequest { Messages = [ChatCompletionMessage.User(questions[21])], MaxTokens = 5 });

        Assert.Equal(Enumerable.Range(0, 30), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error?.ToString()));
        Assert.Equal(direct.Content, results[21].Value!.Text);
        Assert.Equal(5, results[21].Value!.Usage!.OutputTokenCount);
        Assert.Equal(2, gateway.Counters.PeakInFlight);
    }

    [Fact]
    public async Task ProcessBatchAsyncOfT_NoiseFromTheSimulatedModel_EveryItemFailsAsStructuredOutputErrorKeepingTheText()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var chat = ChatClientFor(gateway);

        var results = await chat.ProcessBatchAsync<Label>([[new ChatMessage(ChatRole.User, "Classify: the invoice was charged twice")]]);

        var result = Assert.Single(results);
        Assert.Equal(ChatClientStructuredBatchExtensions.StructuredOutputErrorType, result.Error!.Type);
        Assert.False(string.IsNullOrWhiteSpace(result.Value!.Text));
    }

    private static IChatClient ChatClientFor(SimulatedGateway gateway) =>
        new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(gateway.Endpoint, "v1") })
            .GetChatClient("local")
            .AsIChatClient();

    public sealed record Label(string Category);
}
