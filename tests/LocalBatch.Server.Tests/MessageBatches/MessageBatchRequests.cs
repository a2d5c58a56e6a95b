using System.Text;
using System.Text.Json;
using LocalBatch.Server.Tests.Support;

namespace LocalBatch.Server.Tests.MessageBatches;

/// <summary>Bodies of Anthropic's Message Batches API and the calls the tests make with plain HTTP.</summary>
internal static class MessageBatchRequests
{
    /// <summary>A prompt longer than the simulated gateway's context: it answers 400 <c>exceed_context_size_error</c>.</summary>
    public static readonly string TooLong = string.Join(' ', Enumerable.Repeat("word", 5000));

    /// <summary><c>{"requests": [{"custom_id": "req-N", "params": {model, max_tokens, messages}}]}</c> for N from 1.</summary>
    public static string CreateBody(int count, Func<int, string>? prompt = null) => JsonSerializer.Serialize(new
    {
        requests = Enumerable.Range(1, count).Select(i => new
        {
            custom_id = $"req-{i}",
            @params = new
            {
                model = "claude-sonnet-4-5",
                max_tokens = 4,
                messages = new[] { new { role = "user", content = prompt?.Invoke(i) ?? $"prompt {i}" } },
            },
        }),
    });

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> CreateAsync(ServerTestEnvironment env, string body)
    {
        var response = await env.Http.PostAsync("/v1/messages/batches", Json(body));
        var json = await ServerTestEnvironment.JsonAsync(response);
        Assert.True((int)response.StatusCode == 200, $"create: {(int)response.StatusCode} {json}");
        return json;
    }

    /// <summary>The store's id of a message batch (msgbatch_X is batch_X).</summary>
    public static string StoreId(string messageBatchId) => "batch_" + messageBatchId["msgbatch_".Length..];

    /// <summary>The results JSONL of an ended batch, one element a line.</summary>
    public static async Task<List<JsonElement>> ResultsAsync(ServerTestEnvironment env, string messageBatchId)
    {
        var response = await env.Http.GetAsync($"/v1/messages/batches/{messageBatchId}/results");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 200, $"results: {(int)response.StatusCode} {text}");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }
}
