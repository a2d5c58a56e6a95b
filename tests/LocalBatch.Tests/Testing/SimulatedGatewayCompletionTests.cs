using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>Completions and chat completions: llama-server's shapes, determinism, streaming.</summary>
public sealed class SimulatedGatewayCompletionTests
{
    [Fact]
    public async Task Completions_StringPrompt_ReturnsLlamaServerShape()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ModelName = "tiny.gguf" });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"Hello there world","max_tokens":5,"model":"ignored"}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var choice = json["choices"]![0]!;
        Assert.Equal(5, ((string)choice["text"]!).Split(' ').Length);
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal(JsonValueKind.Null, choice.AsObject()["logprobs"]?.GetValueKind() ?? JsonValueKind.Null);
        Assert.True(choice.AsObject().ContainsKey("logprobs"));
        Assert.Equal("length", (string)choice["finish_reason"]!);
        Assert.True((long)json["created"]! > 1_600_000_000);
        Assert.Equal("tiny.gguf", (string)json["model"]!);
        Assert.Equal("simulated", (string)json["system_fingerprint"]!);
        Assert.Equal("text_completion", (string)json["object"]!);
        Assert.Equal(5, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal(3, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(8, (int)json["usage"]!["total_tokens"]!);
        Assert.Equal(0, (int)json["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        Assert.Matches("^chatcmpl-[A-Za-z0-9]{32}$", (string)json["id"]!);
        Assert.Equal(3, (int)json["timings"]!["prompt_n"]!);
        Assert.Equal(5, (int)json["timings"]!["predicted_n"]!);
        Assert.NotNull(json["timings"]!["prompt_ms"]);
        Assert.NotNull(json["timings"]!["predicted_ms"]);
    }

    [Fact]
    public async Task Completions_ArrayPromptAndN_ReturnsChoicePerPromptAndN()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":["one","two words","three more words"],"n":2,"max_tokens":4}""");
        var json = await ReadJsonAsync(response);

        var choices = json["choices"]!.AsArray();
        Assert.Equal(6, choices.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], choices.Select(c => (int)c!["index"]!));
        Assert.NotEqual((string)choices[0]!["text"]!, (string)choices[1]!["text"]!);
        Assert.Equal(24, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal(12, (int)json["usage"]!["prompt_tokens"]!);
    }

    [Theory]
    [InlineData("""{"prompt":"a"}""", 16)]
    [InlineData("""{"prompt":"a","max_tokens":3}""", 3)]
    [InlineData("""{"prompt":"a","n_predict":7}""", 7)]
    [InlineData("""{"prompt":"a","n_predict":7,"max_tokens":3}""", 7)]
    [InlineData("""{"prompt":"a","max_tokens":0}""", 0)]
    public async Task Completions_TokenLimits_SetCompletionTokens(string body, int expected)
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", body);
        var json = await ReadJsonAsync(response);

        Assert.Equal(expected, (int)json["usage"]!["completion_tokens"]!);
        var text = (string)json["choices"]![0]!["text"]!;
        Assert.Equal(expected, text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Completions_MaxTokensBeyondContext_StopsAtContext()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ContextSize = 10 });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"one two three","max_tokens":100}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(7, (int)json["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Completions_SamePrompt_SameTextAcrossGateways()
    {
        await using var first = await SimulatedGateway.StartAsync();
        await using var second = await SimulatedGateway.StartAsync();
        using var http1 = CreateClient(first);
        using var http2 = CreateClient(second);

        var a = await CompletionTextAsync(http1, "/v1/completions", "The same prompt");
        var b = await CompletionTextAsync(http2, "/v1/completions", "The same prompt");
        var c = await CompletionTextAsync(http1, "/completions", "The same prompt");
        var other = await CompletionTextAsync(http1, "/v1/completions", "Another prompt");

        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public async Task Completions_Stream_SendsChunksThenDone()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        var expected = await CompletionTextAsync(http, "/v1/completions", "Stream me");

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"Stream me","stream":true}""");
        var events = await ReadEventsAsync(response);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", (string)c["object"]!));
        Assert.Equal(expected, string.Concat(chunks.Select(c => (string)c["choices"]![0]!["text"]!)));
        Assert.Equal("length", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        Assert.Equal(16, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        Assert.Null(chunks[0]["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task ChatCompletions_Messages_ReturnsLlamaServerShape()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        const string Body = """
            {"messages":[{"role":"system","content":"Be brief."},
                         {"role":"user","content":[{"type":"text","text":"Say three words"}]}],
             "max_tokens":6}
            """;

        using var response = await PostAsync(http, "/v1/chat/completions", Body);
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = json["choices"]![0]!;
        Assert.Equal("length", (string)choice["finish_reason"]!);
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal("assistant", (string)choice["message"]!["role"]!);
        Assert.Equal(6, ((string)choice["message"]!["content"]!).Split(' ').Length);
        Assert.Equal("chat.completion", (string)json["object"]!);
        Assert.Equal("simulated-model.gguf", (string)json["model"]!);
        Assert.Equal(2 + 3 + (2 * 4), (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(6, (int)json["usage"]!["completion_tokens"]!);
        Assert.StartsWith("chatcmpl-", (string)json["id"]!, StringComparison.Ordinal);
        Assert.NotNull(json["timings"]);
    }

    [Fact]
    public async Task ChatCompletions_Alias_SameAnswerAsV1()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        var a = await CompletionTextAsync(http, "/v1/chat/completions", "Hi");
        var b = await CompletionTextAsync(http, "/chat/completions", "Hi");

        Assert.Equal(a, b);
    }

    [Fact]
    public async Task ChatCompletions_Stream_SendsRoleDeltasFinalThenDone()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        var expected = await CompletionTextAsync(http, "/v1/chat/completions", "Stream chat");

        using var response = await PostAsync(http, "/v1/chat/completions", """{"messages":[{"role":"user","content":"Stream chat"}],"stream":true}""");
        var events = await ReadEventsAsync(response);

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        Assert.Equal("assistant", (string)chunks[0]["choices"]![0]!["delta"]!["role"]!);
        var content = string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"]));
        Assert.Equal(expected, content);
        Assert.Equal("length", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        Assert.NotNull(chunks[^1]["usage"]);
    }
}
