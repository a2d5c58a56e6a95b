using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LocalBatch.Testing;

namespace LocalBatch.Tests.Support;

/// <summary>Plain HTTP calls to a simulated gateway and the checks of what it answers.</summary>
internal static class GatewayHttp
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public static HttpClient CreateClient(SimulatedGateway gateway) =>
        new() { BaseAddress = gateway.Endpoint, Timeout = RequestTimeout };

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string body) =>
        http.PostAsync(path, Json(body));

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type, string? message)
    {
        Assert.Equal(status, response.StatusCode);
        var json = await ReadJsonAsync(response);
        var error = json["error"]!;
        Assert.Equal((int)status, (int)error["code"]!);
        Assert.Equal(type, (string)error["type"]!);
        var actual = (string)error["message"]!;
        if (message is not null)
        {
            Assert.Equal(message, actual);
        }

        return actual;
    }

    public static async Task<string> CompletionTextAsync(HttpClient http, string path, string prompt)
    {
        var isChat = path.Contains("chat", StringComparison.Ordinal);
        var body = isChat
            ? new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }) }
            : new JsonObject { ["prompt"] = prompt };
        using var response = await PostAsync(http, path, body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = (await ReadJsonAsync(response))["choices"]![0]!;
        return isChat ? (string)choice["message"]!["content"]! : (string)choice["text"]!;
    }

    public static async Task<float[][]> EmbeddingsAsync(HttpClient http, string path, string body)
    {
        using var response = await PostAsync(http, path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await ReadJsonAsync(response);
        return json["data"]!.AsArray()
            .Select(item => item!["embedding"]!.AsArray().Select(v => (float)v!).ToArray())
            .ToArray();
    }

    public static async Task<string[]> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        return text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e =>
            {
                Assert.StartsWith("data: ", e, StringComparison.Ordinal);
                return e["data: ".Length..];
            })
            .ToArray();
    }
}
