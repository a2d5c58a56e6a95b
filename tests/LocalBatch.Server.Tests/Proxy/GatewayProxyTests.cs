using System.ClientModel;
using System.Text;
using OpenAI.Chat;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Proxy;

public sealed class GatewayProxyTests
{
    [Fact]
    public async Task ChatClient_Plain_IsProxiedToTheGateway()
    {
        await using var env = await ServeAsync();

        var completion = (await env.Client.GetChatClient("any-model").CompleteChatAsync([new UserChatMessage("Say hello")])).Value;

        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.Equal("simulated-model.gguf", completion.Model);
        Assert.Equal(1, env.Gateway.Counters.GetRequests(LocalBatch.Tests.Support.BatchTestEnvironment.Chat));
    }

    [Fact]
    public async Task ChatClient_Streaming_ArrivesInChunksWithTheSameText()
    {
        await using var env = await ServeAsync();
        var chat = env.Client.GetChatClient("any-model");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8 };

        var text = new StringBuilder();
        var chunks = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell a story")], options))
        {
            chunks++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        var plain = (await chat.CompleteChatAsync([new UserChatMessage("Tell a story")], options)).Value;

        Assert.True(chunks > 2, $"{chunks} chunks");
        Assert.Equal(plain.Content[0].Text, text.ToString());
    }

    [Fact]
    public async Task EmbeddingClient_IsProxiedToTheGateway()
    {
        await using var env = await ServeAsync();

        var embeddings = (await env.Client.GetEmbeddingClient("any-model").GenerateEmbeddingsAsync(["one", "two", "three"])).Value;

        Assert.Equal(3, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(env.Gateway.Options.EmbeddingDimensions, e.ToFloats().Length));
        Assert.Equal(1, env.Gateway.Counters.GetRequests("/v1/embeddings"));
    }

    [Theory]
    [InlineData("/health", 200, "\"status\":\"ok\"")]
    [InlineData("/props", 200, "\"total_slots\":4")]
    [InlineData("/v1/models", 200, "simulated-model.gguf")]
    [InlineData("/v1/no-such-route", 404, "not_found_error")]
    public async Task OtherRoutes_AreTheGatewaysOwnAnswers(string path, int status, string expected)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.GetAsync(path);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, env.Gateway.Counters.GetRequests(path));
    }

    [Fact]
    public async Task GatewayDown_Is502InOpenAIShape_AndTheServerKeepsServing()
    {
        await using var env = await ServeAsync();
        await env.Gateway.StopListeningAsync();

        var proxied = await env.Http.GetAsync("/v1/models");
        var sdk = await Assert.ThrowsAsync<ClientResultException>(() => env.Client.GetChatClient("m").CompleteChatAsync([new UserChatMessage("hi")]));
        var batches = await env.Http.GetAsync("/v1/batches");

        var error = await ErrorAsync(proxied, 502);
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal(502, sdk.Status);
        Assert.Equal(200, (int)batches.StatusCode);
    }
}
