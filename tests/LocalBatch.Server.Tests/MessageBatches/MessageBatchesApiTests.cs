using System.Globalization;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Server.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static LocalBatch.Server.Tests.MessageBatches.MessageBatchRequests;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.MessageBatches;

/// <summary>Anthropic's Message Batches API over plain HTTP: every field, status and error, checked against Anthropic's API reference.</summary>
public sealed class MessageBatchesApiTests
{
    private const int Total = 4;
    private const string Messages = "/v1/messages";

    [Fact]
    public async Task Create_Requests_Is200WithTheBatchObjectAndEachRunsAsAMessagesCall()
    {
        await using var env = await ServeAsync();

        var created = await CreateAsync(env, CreateBody(Total));
        var id = created.GetProperty("id").GetString()!;
        var job = await env.WaitAsync(StoreId(id));
        var ended = await JsonAsync(await env.Http.GetAsync($"/v1/messages/batches/{id}"));
        var results = await ResultsAsync(env, id);

        Assert.Equal(
            ["id", "processing_status", "request_counts", "ended_at", "created_at", "expires_at", "cancel_initiated_at", "results_url", "type", "archived_at"],
            created.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^msgbatch_[0-9a-f]+$", id);
        Assert.Equal("message_batch", created.GetProperty("type").GetString());
        Assert.Contains(created.GetProperty("processing_status").GetString(), new[] { "in_progress", "ended" });
        Assert.Equal(Total, Sum(created.GetProperty("request_counts")));
        var createdAt = Rfc3339(created.GetProperty("created_at"));
        Assert.Equal(TimeSpan.FromHours(24), Rfc3339(created.GetProperty("expires_at")) - createdAt);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("archived_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("cancel_initiated_at").ValueKind);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(Messages, job.Endpoint);
        Assert.Equal(Total, env.Gateway.Counters.GetRequests(Messages));
        Assert.Equal("ended", ended.GetProperty("processing_status").GetString());
        Assert.Equal(Counts(0, Total, 0, 0, 0), Counts(ended.GetProperty("request_counts")));
        Assert.True(Rfc3339(ended.GetProperty("ended_at")) >= createdAt);
        Assert.Equal(new Uri(env.Server.BaseAddress, $"v1/messages/batches/{id}/results").AbsoluteUri, ended.GetProperty("results_url").GetString());
        Assert.Equal(Enumerable.Range(1, Total).Select(i => $"req-{i}"), results.Select(r => r.GetProperty("custom_id").GetString()).Order(StringComparer.Ordinal));
        Assert.All(results, result =>
        {
            Assert.Equal(["custom_id", "result"], result.EnumerateObject().Select(p => p.Name));
            var outcome = result.GetProperty("result");
            Assert.Equal("succeeded", outcome.GetProperty("type").GetString());
            Assert.Equal("message", outcome.GetProperty("message").GetProperty("type").GetString());
            Assert.Equal("text", outcome.GetProperty("message").GetProperty("content")[0].GetProperty("type").GetString());
        });
    }

    [Fact]
    public async Task Results_ARequestTheGatewayRefuses_IsErroredWithAnthropicsErrorObject()
    {
        await using var env = await ServeAsync();

        var id = (await CreateAsync(env, CreateBody(3, i => i == 2 ? TooLong : "ok"))).GetProperty("id").GetString()!;
        await env.WaitAsync(StoreId(id));
        var batch = await JsonAsync(await env.Http.GetAsync($"/v1/messages/batches/{id}"));
        var results = (await ResultsAsync(env, id)).ToDictionary(r => r.GetProperty("custom_id").GetString()!, r => r.GetProperty("result"));

        Assert.Equal(Counts(0, 2, 1, 0, 0), Counts(batch.GetProperty("request_counts")));
        var errored = results["req-2"];
        Assert.Equal("errored", errored.GetProperty("type").GetString());
        var error = errored.GetProperty("error");
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("exceeds the available context size", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("succeeded", results["req-1"].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Cancel_Running_IsCancelingThenEndsWithTheUnrunRequestsCanceled()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Gateway.Pause();
        var id = (await CreateAsync(env, CreateBody(Total))).GetProperty("id").GetString()!;
        await env.Gateway.WaitForInFlightAsync(1).WaitAsync(TimeSpan.FromSeconds(10));

        var canceling = await JsonAsync(await env.Http.PostAsync($"/v1/messages/batches/{id}/cancel", content: null));
        var job = await env.WaitAsync(StoreId(id));
        env.Gateway.Resume();
        var ended = await JsonAsync(await env.Http.GetAsync($"/v1/messages/batches/{id}"));
        var results = await ResultsAsync(env, id);
        var again = await env.Http.PostAsync($"/v1/messages/batches/{id}/cancel", content: null);

        Assert.Contains(canceling.GetProperty("processing_status").GetString(), new[] { "canceling", "ended" });
        Assert.Equal(JsonValueKind.String, canceling.GetProperty("cancel_initiated_at").ValueKind);
        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.Equal("ended", ended.GetProperty("processing_status").GetString());
        Assert.Equal(Counts(0, 0, 0, Total, 0), Counts(ended.GetProperty("request_counts")));
        Assert.Equal(Total, results.Count(r => r.GetProperty("result").GetProperty("type").GetString() == "canceled"));
        Assert.Equal(["type"], results[0].GetProperty("result").EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_request_error", (await OwnedRoutesTests.AnthropicErrorAsync(again, 400)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Expiry_WindowEndsWhileRunning_EndsWithTheUnrunRequestsExpired()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var env = await ServeAsync(concurrency: 1, configureHost: host =>
        {
            host.Services.AddSingleton<TimeProvider>(clock);
            host.Services.Configure<LocalBatchOptions>(o => o.AttemptTimeout = Timeout.InfiniteTimeSpan); // only the window ends
        });
        env.Gateway.Pause();
        var id = (await CreateAsync(env, CreateBody(Total))).GetProperty("id").GetString()!;
        await env.Gateway.WaitForInFlightAsync(1).WaitAsync(TimeSpan.FromSeconds(10));

        clock.Advance(TimeSpan.FromHours(25));
        var job = await env.WaitAsync(StoreId(id));
        env.Gateway.Resume();
        var ended = await JsonAsync(await env.Http.GetAsync($"/v1/messages/batches/{id}"));
        var results = await ResultsAsync(env, id);

        Assert.Equal(BatchStatus.Expired, job.Status);
        Assert.Equal(Counts(0, 0, 0, 0, Total), Counts(ended.GetProperty("request_counts")));
        Assert.All(results, r => Assert.Equal("expired", r.GetProperty("result").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task ServerStoppedMidBatch_StartedAgain_ResumesAndAnswersEveryCustomIdOnce()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Gateway.Pause();
        var id = (await CreateAsync(env, CreateBody(Total))).GetProperty("id").GetString()!;
        await env.Gateway.WaitForInFlightAsync(1).WaitAsync(TimeSpan.FromSeconds(10));

        await env.StopServerAsync();
        env.Gateway.Resume();
        await env.StartServerAsync();
        var job = await env.WaitAsync(StoreId(id));
        var results = await ResultsAsync(env, id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(Enumerable.Range(1, Total).Select(i => $"req-{i}"), results.Select(r => r.GetProperty("custom_id").GetString()).Order(StringComparer.Ordinal));
        Assert.All(results, r => Assert.Equal("succeeded", r.GetProperty("result").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task List_PagesNewestFirstWithBeforeIdAfterIdAndLimit_OnlyMessageBatches()
    {
        await using var env = await ServeAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await CreateAsync(env, CreateBody(1))).GetProperty("id").GetString()!);
        }

        await env.RunBatchAsync(LocalBatch.Tests.Support.BatchTestEnvironment.ChatLines(1)); // an OpenAI batch: not listed here
        ids.Reverse();

        var first = await JsonAsync(await env.Http.GetAsync("/v1/messages/batches?limit=2"));
        var next = await JsonAsync(await env.Http.GetAsync($"/v1/messages/batches?limit=2&after_id={first.GetProperty("last_id").GetString()}"));
        var back = await JsonAsync(await env.Http.GetAsync($"/v1/messages/batches?limit=1&before_id={next.GetProperty("first_id").GetString()}"));
        var all = await JsonAsync(await env.Http.GetAsync("/v1/messages/batches"));
        var badLimit = await env.Http.GetAsync("/v1/messages/batches?limit=1001");

        Assert.Equal(["data", "has_more", "first_id", "last_id"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ids[..2], Ids(first));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal((ids[0], ids[1]), (first.GetProperty("first_id").GetString(), first.GetProperty("last_id").GetString()));
        Assert.Equal([ids[2]], Ids(next));
        Assert.False(next.GetProperty("has_more").GetBoolean());
        Assert.Equal([ids[1]], Ids(back));
        Assert.True(back.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids, Ids(all));
        Assert.Equal("invalid_request_error", (await OwnedRoutesTests.AnthropicErrorAsync(badLimit, 400)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Delete_OnlyOnceEnded_ThenItIsGone()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Gateway.Pause();
        var id = (await CreateAsync(env, CreateBody(2))).GetProperty("id").GetString()!;

        var running = await env.Http.DeleteAsync($"/v1/messages/batches/{id}");
        env.Gateway.Resume();
        await env.WaitAsync(StoreId(id));
        var deleted = await JsonAsync(await env.Http.DeleteAsync($"/v1/messages/batches/{id}"));
        var gone = await env.Http.GetAsync($"/v1/messages/batches/{id}");

        Assert.Contains("Cancel it first", (await OwnedRoutesTests.AnthropicErrorAsync(running, 400)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["id", "type"], deleted.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal((id, "message_batch_deleted"), (deleted.GetProperty("id").GetString(), deleted.GetProperty("type").GetString()));
        Assert.Equal("not_found_error", (await OwnedRoutesTests.AnthropicErrorAsync(gone, 404)).GetProperty("type").GetString());
        Assert.False(Directory.Exists(Path.Combine(env.Env.StoreDirectory, StoreId(id))));
    }

    [Fact]
    public async Task Results_WhileProcessing_Is400AndResultsUrlIsNull()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Gateway.Pause();
        var created = await CreateAsync(env, CreateBody(2));
        var id = created.GetProperty("id").GetString()!;

        var results = await env.Http.GetAsync($"/v1/messages/batches/{id}/results");
        env.Gateway.Resume();

        Assert.Equal(JsonValueKind.Null, created.GetProperty("results_url").ValueKind);
        Assert.Contains("still processing", (await OwnedRoutesTests.AnthropicErrorAsync(results, 400)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/messages/batches/msgbatch_0123abcd")]
    [InlineData("POST", "/v1/messages/batches/msgbatch_0123abcd/cancel")]
    [InlineData("DELETE", "/v1/messages/batches/msgbatch_0123abcd")]
    [InlineData("GET", "/v1/messages/batches/msgbatch_0123abcd/results")]
    [InlineData("GET", "/v1/messages/batches/batch_0123abcd")]
    [InlineData("GET", "/v1/messages/batches/msgbatch_..%2F..%2Fetc")]
    public async Task UnknownId_Is404InAnthropicsShape(string method, string path)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal("not_found_error", (await OwnedRoutesTests.AnthropicErrorAsync(response, 404)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Get_AnOpenAIBatch_Is404_ItIsNoMessageBatch()
    {
        await using var env = await ServeAsync();
        var job = await env.RunBatchAsync(LocalBatch.Tests.Support.BatchTestEnvironment.ChatLines(1));

        var response = await env.Http.GetAsync($"/v1/messages/batches/msgbatch_{job.Id["batch_".Length..]}");

        await OwnedRoutesTests.AnthropicErrorAsync(response, 404);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{}", "requests: Field required")]
    [InlineData("""{"requests": []}""", "at least 1 item")]
    [InlineData("""{"requests": {}}""", "requests: Input should be a valid list")]
    [InlineData("""{"requests": [1]}""", "requests.0: Input should be a valid dictionary")]
    [InlineData("""{"requests": [{"params": {"max_tokens": 4, "messages": [{"role":"user","content":"a"}]}}]}""", "requests.0.custom_id: Field required")]
    [InlineData("""{"requests": [{"custom_id": "a b", "params": {"max_tokens": 4, "messages": [{"role":"user","content":"a"}]}}]}""", "requests.0.custom_id: String should match pattern")]
    [InlineData("""{"requests": [{"custom_id": "a", "params": {"max_tokens": 4, "messages": [{"role":"user","content":"a"}]}}, {"custom_id": "a", "params": {"max_tokens": 4, "messages": [{"role":"user","content":"a"}]}}]}""", "requests.1.custom_id: 'a' is used")]
    [InlineData("""{"requests": [{"custom_id": "a"}]}""", "requests.0.params: Field required")]
    [InlineData("""{"requests": [{"custom_id": "a", "params": {"messages": [{"role":"user","content":"a"}]}}]}""", "requests.0.params.max_tokens: Field required")]
    [InlineData("""{"requests": [{"custom_id": "a", "params": {"max_tokens": 0, "messages": [{"role":"user","content":"a"}]}}]}""", "requests.0.params.max_tokens: Input should be")]
    [InlineData("""{"requests": [{"custom_id": "a", "params": {"max_tokens": 4}}]}""", "requests.0.params.messages: Field required")]
    [InlineData("""{"requests": [{"custom_id": "a", "params": {"max_tokens": 4, "messages": []}}]}""", "requests.0.params.messages: Input should be a list")]
    [InlineData("""{"requests": [{"custom_id": "a", "params": {"max_tokens": 4, "stream": true, "messages": [{"role":"user","content":"a"}]}}]}""", "requests.0.params.stream")]
    [InlineData("""{"requests": [{"custom_id": "a", "params": {"max_tokens": 4, "messages": [{"role":"user","content":"a"}]}}""", "not valid JSON")]
    public async Task Create_BadBody_Is400InAnthropicsShapeNamingTheProblem_AndMakesNoBatch(string body, string message)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.PostAsync("/v1/messages/batches", Json(body));

        var error = await OwnedRoutesTests.AnthropicErrorAsync(response, 400);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty((await env.Batches.ListAsync()).Data);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(env.Env.StoreDirectory, "files")));
    }

    [Fact]
    public async Task Create_MoreThanAHundredThousandRequests_Is400()
    {
        await using var env = await ServeAsync();

        var response = await env.Http.PostAsync("/v1/messages/batches", Json(CreateBody(100_001, _ => "a")));

        Assert.Contains("at most 100000 requests", (await OwnedRoutesTests.AnthropicErrorAsync(response, 400)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty((await env.Batches.ListAsync()).Data);
    }

    [Fact]
    public async Task Create_BodyDeclaredOverTwoHundredFiftySixMegabytes_Is413RequestTooLargeBeforeItIsRead()
    {
        await using var env = await ServeAsync();
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(env.Server.BaseAddress.Host, env.Server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /v1/messages/batches HTTP/1.1\r\nHost: {env.Server.BaseAddress.Authority}\r\nContent-Type: application/json\r\nContent-Length: {(256L * 1024 * 1024) + 1}\r\n\r\n{{";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));

        using var reader = new StreamReader(stream);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        string? line;
        while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
        {
        }

        // The body, chunked or not: read until its object has closed, then take it from its first brace to its last.
        var text = new System.Text.StringBuilder();
        var buffer = new char[4096];
        while (text.ToString() is var sofar && !(sofar.Contains("request_id", StringComparison.Ordinal) && sofar.LastIndexOf('}') > sofar.IndexOf("request_id", StringComparison.Ordinal)))
        {
            var read = await reader.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(read > 0, $"the connection closed before the body was whole: {text}");
            text.Append(buffer, 0, read);
        }

        Assert.Equal("HTTP/1.1 413 Payload Too Large", status);
        var whole = text.ToString();
        var error = JsonDocument.Parse(whole[whole.IndexOf('{', StringComparison.Ordinal)..(whole.LastIndexOf('}') + 1)]).RootElement;
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("request_too_large", error.GetProperty("error").GetProperty("type").GetString());
    }

    private static int Sum(JsonElement counts) => counts.EnumerateObject().Sum(p => p.Value.GetInt32());

    private static (int Processing, int Succeeded, int Errored, int Canceled, int Expired) Counts(JsonElement counts) => (
        counts.GetProperty("processing").GetInt32(),
        counts.GetProperty("succeeded").GetInt32(),
        counts.GetProperty("errored").GetInt32(),
        counts.GetProperty("canceled").GetInt32(),
        counts.GetProperty("expired").GetInt32());

    private static (int, int, int, int, int) Counts(int processing, int succeeded, int errored, int canceled, int expired) => (processing, succeeded, errored, canceled, expired);

    private static DateTimeOffset Rfc3339(JsonElement value)
    {
        var text = value.GetString()!;
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", text);
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!)];
}
