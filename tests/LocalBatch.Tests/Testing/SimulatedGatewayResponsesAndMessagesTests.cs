using System.Net;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>
/// <c>/v1/responses</c> and <c>/v1/messages</c> of the simulated llama-server, in the shapes captured from b9596
/// (shared/reference/llama-server-responses.md).
/// </summary>
public sealed class SimulatedGatewayResponsesAndMessagesTests
{
    [Fact]
    public async Task Responses_StringInput_AnswersAResponseObjectWithUsageInItsNames()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ModelName = "tiny.gguf" });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/responses", """{"model":"m","input":"hello","max_output_tokens":8}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            ["completed_at", "created_at", "id", "model", "object", "output", "status", "usage"],
            json.AsObject().Select(p => p.Key));
        Assert.StartsWith("resp_", (string)json["id"]!, StringComparison.Ordinal);
        Assert.Equal(("response", "completed", "tiny.gguf"), ((string)json["object"]!, (string)json["status"]!, (string)json["model"]!));
        var message = json["output"]![0]!;
        Assert.Equal(("message", "assistant", "completed"), ((string)message["type"]!, (string)message["role"]!, (string)message["status"]!));
        Assert.StartsWith("msg_", (string)message["id"]!, StringComparison.Ordinal);
        var text = message["content"]![0]!;
        Assert.Equal("output_text", (string)text["type"]!);
        Assert.Equal(8, ((string)text["text"]!).Split(' ').Length);
        var usage = json["usage"]!;
        Assert.Equal(8, (int)usage["output_tokens"]!);
        Assert.Equal((int)usage["input_tokens"]! + 8, (int)usage["total_tokens"]!);
        Assert.Equal(0, (int)usage["input_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public async Task Responses_InstructionsAndItems_ReadAsTheSameChatAsChatCompletions()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/responses", """
            {"instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"hello there"}]}],"max_output_tokens":3}
            """);
        using var chat = await PostAsync(http, "/v1/chat/completions", """
            {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello there"}],"max_tokens":3}
            """);

        var output = (string)(await ReadJsonAsync(response))["output"]![0]!["content"]![0]!["text"]!;
        var chatJson = await ReadJsonAsync(chat);
        Assert.Equal((string)chatJson["choices"]![0]!["message"]!["content"]!, output);
        Assert.Equal(2, gateway.Counters.GetRequests("/v1/responses") + gateway.Counters.GetRequests("/v1/chat/completions"));
    }

    [Fact]
    public async Task Messages_SystemAndMessages_AnswersAnAnthropicMessageCountingCacheReadsApart()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ModelName = "tiny.gguf", PromptCache = new SimulatedPromptCacheOptions() });
        using var http = CreateClient(gateway);
        const string Body = """{"model":"m","max_tokens":8,"system":"You are terse.","messages":[{"role":"user","content":"hello"}]}""";

        using var first = await PostAsync(http, "/v1/messages", Body);
        using var second = await PostAsync(http, "/v1/messages", Body);
        var json = await ReadJsonAsync(first);
        var again = await ReadJsonAsync(second);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(
            ["id", "type", "role", "content", "model", "stop_reason", "stop_sequence", "usage"],
            json.AsObject().Select(p => p.Key));
        Assert.StartsWith("chatcmpl-", (string)json["id"]!, StringComparison.Ordinal);
        Assert.Equal(("message", "assistant", "max_tokens"), ((string)json["type"]!, (string)json["role"]!, (string)json["stop_reason"]!));
        Assert.Null(json["stop_sequence"]);
        Assert.Equal("text", (string)json["content"]![0]!["type"]!);
        Assert.Equal(8, ((string)json["content"]![0]!["text"]!).Split(' ').Length);
        Assert.Equal(["cache_read_input_tokens", "input_tokens", "output_tokens"], json["usage"]!.AsObject().Select(p => p.Key));
        Assert.Equal(0, (int)json["usage"]!["cache_read_input_tokens"]!);
        var total = (int)json["usage"]!["input_tokens"]!;
        var cached = (int)again["usage"]!["cache_read_input_tokens"]!;
        Assert.True(cached > 0, "the same prompt again reads from the slot's cache");
        Assert.Equal(total, cached + (int)again["usage"]!["input_tokens"]!);
    }

    [Theory]
    [InlineData("/v1/responses", """{"model":"m"}""", HttpStatusCode.BadRequest, "invalid_request_error", "'input' is required")]
    [InlineData("/v1/messages", """{"model":"m","max_tokens":8}""", HttpStatusCode.InternalServerError, "server_error", "'messages' is required")]
    public async Task MissingInputOrMessages_AnswersAsLlamaServer(string path, string body, HttpStatusCode status, string type, string message)
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, path, body);

        await AssertErrorAsync(response, status, type, message);
    }

    [Fact]
    public async Task Messages_StreamAsked_IsAnsweredUnstreamed()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/messages", """{"max_tokens":2,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("message", (string)(await ReadJsonAsync(response))["type"]!);
    }
}
