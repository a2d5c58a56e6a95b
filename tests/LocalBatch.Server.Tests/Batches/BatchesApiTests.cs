using System.ClientModel;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Server.Tests.Files;
using OpenAI.Batch;
using OpenAI.Files;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Batches;

public sealed class BatchesApiTests
{
    private const int Total = 6;

    [Fact]
    public async Task CreateBatch_UploadedFile_Is200WithTheBatchAndRunsToCompletion()
    {
        await using var env = await ServeAsync();
        var file = await env.UploadAsync(ChatLines(Total));
        var metadata = new Dictionary<string, string> { ["job"] = "nightly" };

        var (operation, batch) = await env.CreateBatchAsync(file.Id, Chat, metadata);
        var id = batch.GetProperty("id").GetString()!;
        var job = await env.WaitAsync(id);
        var retrieved = Json((await env.BatchClient.GetBatchAsync(id, options: null)).GetRawResponse());
        var output = (await env.Files.DownloadFileAsync(retrieved.GetProperty("output_file_id").GetString()!)).Value.ToString();

        Assert.Equal(200, operation.GetRawResponse().Status);
        Assert.Equal(id, operation.BatchId);
        Assert.StartsWith("batch_", id, StringComparison.Ordinal);
        Assert.Equal("batch", batch.GetProperty("object").GetString());
        Assert.Contains(batch.GetProperty("status").GetString(), new[] { "in_progress", "finalizing", "completed" });
        Assert.Equal(file.Id, batch.GetProperty("input_file_id").GetString());
        Assert.Equal(Chat, batch.GetProperty("endpoint").GetString());
        Assert.Equal("24h", batch.GetProperty("completion_window").GetString());
        Assert.Equal("nightly", batch.GetProperty("metadata").GetProperty("job").GetString());
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("errors").ValueKind);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal("completed", retrieved.GetProperty("status").GetString());
        Assert.Equal(Total, retrieved.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(JsonValueKind.Null, retrieved.GetProperty("error_file_id").ValueKind);
        Assert.Equal(Expected(Total), CustomIds(output).Order(StringComparer.Ordinal));
        Assert.Equal(Total, env.Env.ChatRequests);
    }

    [Fact]
    public async Task CreateBatch_SdkWaitsUntilCompleted_ThenReadsTheBatch()
    {
        await using var env = await ServeAsync();
        var file = await env.UploadAsync(ChatLines(3));
        var body = BinaryData.FromObjectAsJson(new { input_file_id = file.Id, endpoint = Chat, completion_window = "24h" });

        var operation = await env.BatchClient.CreateBatchAsync(BinaryContent.Create(body), waitUntilCompleted: true);
        var batch = Json((await operation.GetBatchAsync(options: null)).GetRawResponse());

        Assert.True(operation.HasCompleted);
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(3, batch.GetProperty("request_counts").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task CreateBatch_FileWithBadLines_IsFailedWithEveryLineNumberAndSendsNothing()
    {
        await using var env = await ServeAsync();
        var file = await env.UploadAsync(ChatLine("a") + "\n" + ChatLine("a") + "\n{oops\n" + ChatLine("c", url: "/v1/embeddings") + "\n");

        var (operation, batch) = await env.CreateBatchAsync(file.Id);

        Assert.Equal(200, operation.GetRawResponse().Status);
        Assert.Equal("failed", batch.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, batch.GetProperty("failed_at").ValueKind);
        var errors = batch.GetProperty("errors").GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([2, 3, 4], errors.Select(e => e.GetProperty("line").GetInt32()));
        Assert.Equal(["duplicate_custom_id", "invalid_json_line", "mismatched_url"], errors.Select(e => e.GetProperty("code").GetString()));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData("{not json", null)]
    [InlineData("[1, 2]", null)]
    [InlineData("""{"endpoint": "/v1/chat/completions", "completion_window": "24h"}""", "input_file_id")]
    [InlineData("""{"input_file_id": "FILE", "completion_window": "24h"}""", "endpoint")]
    [InlineData("""{"input_file_id": "FILE", "endpoint": "/v1/images", "completion_window": "24h"}""", "endpoint")]
    [InlineData("""{"input_file_id": "FILE", "endpoint": "/v1/chat/completions", "completion_window": 24}""", "completion_window")]
    [InlineData("""{"input_file_id": "FILE", "endpoint": "/v1/chat/completions", "completion_window": "48h"}""", null)]
    [InlineData("""{"input_file_id": "FILE", "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": {"n": 1}}""", "metadata")]
    public async Task CreateBatch_BadRequest_Is400InOpenAIShape(string body, string? param)
    {
        await using var env = await ServeAsync();
        var file = await env.UploadAsync(ChatLines(1));

        var response = await env.Http.PostAsync("/v1/batches", new StringContent(body.Replace("FILE", file.Id, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));

        var error = await ErrorAsync(response, 400);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        Assert.Empty((await env.Batches.ListAsync()).Data);
    }

    [Fact]
    public async Task CreateBatch_InputFileNotForBatches_Is400AndUnknownFileIs404()
    {
        await using var env = await ServeAsync();
        var notes = await env.UploadAsync(ChatLines(1), "notes.jsonl", FileUploadPurpose.UserData);

        var wrongPurpose = await env.Http.PostAsync("/v1/batches", FilesApiTests.JsonBody(new { input_file_id = notes.Id, endpoint = Chat, completion_window = "24h" }));
        var unknown = await env.Http.PostAsync("/v1/batches", FilesApiTests.JsonBody(new { input_file_id = "file-00000000000000000000000000000000", endpoint = Chat, completion_window = "24h" }));

        Assert.Equal("input_file_id", (await ErrorAsync(wrongPurpose, 400)).GetProperty("param").GetString());
        Assert.Equal("input_file_id", (await ErrorAsync(unknown, 404)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task ListBatches_SdkPagesThroughEveryBatchNewestFirst()
    {
        await using var env = await ServeAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await env.RunBatchAsync(ChatLines(1))).Id);
        }

        var listed = new List<string>();
        await foreach (var job in env.BatchClient.GetBatchesAsync(new BatchCollectionOptions { PageSizeLimit = 2 }))
        {
            listed.Add(job.Id);
        }

        var first = await JsonAsync(await env.Http.GetAsync("/v1/batches?limit=2"));
        var second = await JsonAsync(await env.Http.GetAsync($"/v1/batches?limit=2&after={first.GetProperty("last_id").GetString()}"));

        ids.Reverse();
        Assert.Equal(ids, listed);
        Assert.Equal("list", first.GetProperty("object").GetString());
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[0], first.GetProperty("first_id").GetString());
        Assert.Equal(ids[1], first.GetProperty("last_id").GetString());
        Assert.False(second.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[2], second.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("many")]
    public async Task ListBatches_BadLimit_Is400NamingIt(string limit)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.GetAsync($"/v1/batches?limit={limit}");

        Assert.Equal("limit", (await ErrorAsync(response, 400)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task CancelBatch_Running_EndsCancelledWithUnrunLinesInTheErrorFile()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Env.PauseAtChatRequest(3);
        var file = await env.UploadAsync(ChatLines(Total));
        var (operation, _) = await env.CreateBatchAsync(file.Id);
        await env.Env.WaitForPauseAsync();

        var cancelling = Json((await operation.CancelAsync(options: null)).GetRawResponse());
        env.Gateway.Resume();
        var job = await env.WaitAsync(operation.BatchId);
        await operation.UpdateStatusAsync();
        var errors = (await env.Files.DownloadFileAsync(job.ErrorFileId!)).Value.ToString();

        Assert.Contains(cancelling.GetProperty("status").GetString(), new[] { "cancelling", "cancelled" });
        Assert.NotEqual(JsonValueKind.Null, cancelling.GetProperty("cancelling_at").ValueKind);
        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.True(operation.HasCompleted);
        Assert.Contains("\"batch_cancelled\"", errors, StringComparison.Ordinal);
        Assert.Equal(Total, job.RequestCounts.Completed + job.RequestCounts.Failed);
        Assert.True(env.Env.ChatRequests < Total);
    }

    [Fact]
    public async Task CancelBatch_AlreadyCompleted_Is409AsOpenAIAnswers()
    {
        await using var env = await ServeAsync();
        var job = await env.RunBatchAsync(ChatLines(1));

        var response = await env.Http.PostAsync($"/v1/batches/{job.Id}/cancel", content: null);

        var error = await ErrorAsync(response, 409);
        Assert.Contains("completed", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(BatchStatus.Completed, (await env.Batches.RetrieveAsync(job.Id)).Status);
    }

    [Theory]
    [InlineData("GET", "/v1/batches/batch_0123abcd")]
    [InlineData("POST", "/v1/batches/batch_0123abcd/cancel")]
    [InlineData("GET", "/v1/batches/batch_0123abcd/results")]
    [InlineData("GET", "/v1/files/file-0123456789abcdef0123456789abcdef")]
    [InlineData("GET", "/v1/files/file-0123456789abcdef0123456789abcdef/content")]
    [InlineData("DELETE", "/v1/files/file-0123456789abcdef0123456789abcdef")]
    [InlineData("GET", "/v1/files/file-0123abcd-output")]
    [InlineData("GET", "/v1/files/file-0123abcd-input")]
    [InlineData("GET", "/v1/files/file-abc_DEF-123")]
    public async Task UnknownId_Is404InOpenAIShape(string method, string path)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var error = await ErrorAsync(response, 404);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task SdkGetBatch_UnknownId_ThrowsWithStatus404()
    {
        await using var env = await ServeAsync();

        var error = await Assert.ThrowsAsync<ClientResultException>(() => env.BatchClient.GetBatchAsync("batch_0123abcd", options: null));

        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task Results_StreamsTheOutputJsonl_EmptyBeforeThereIsAny()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Env.PauseAtChatRequest(1);
        var file = await env.UploadAsync(ChatLines(3, i => i == 2 ? "FAIL" : "ok " + i));
        var (operation, _) = await env.CreateBatchAsync(file.Id);
        await env.Env.WaitForPauseAsync();

        var before = await env.Http.GetAsync($"/v1/batches/{operation.BatchId}/results");
        env.Gateway.Resume();
        var job = await env.WaitAsync(operation.BatchId);
        var after = await env.Http.GetAsync($"/v1/batches/{operation.BatchId}/results");
        var text = await after.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)before.StatusCode);
        Assert.Equal(string.Empty, await before.Content.ReadAsStringAsync());
        Assert.Equal(200, (int)after.StatusCode);
        Assert.Equal("application/jsonl", after.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["req-1", "req-3"], CustomIds(text).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllText(env.Batches.GetFilePath(job.Id, BatchFileKind.Output)), text);
    }

    [Fact]
    public async Task GetBatch_WhileRunning_ReportsTheUsageOfTheAnswersSoFar()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Env.PauseAtChatRequest(3);
        var file = await env.UploadAsync(ChatLines(Total));
        var (operation, _) = await env.CreateBatchAsync(file.Id);
        await env.Env.WaitForPauseAsync();

        // The two answers before the pause are recorded once the runner has taken them (the request paused may come first).
        var started = TimeProvider.System.GetTimestamp();
        JsonElement running;
        do
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "the two answers were never recorded");
            using var document = JsonDocument.Parse(await env.Http.GetStringAsync($"/v1/batches/{operation.BatchId}"));
            running = document.RootElement.Clone();
        }
        while (running.GetProperty("request_counts").GetProperty("completed").GetInt32() < 2);

        var results = await env.Http.GetStringAsync($"/v1/batches/{operation.BatchId}/results");
        env.Gateway.Resume();
        await env.WaitAsync(operation.BatchId);

        Assert.Equal("in_progress", running.GetProperty("status").GetString());
        Assert.Equal(2, running.GetProperty("request_counts").GetProperty("completed").GetInt32());
        var usage = running.GetProperty("usage");
        var answered = results.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(static line => JsonDocument.Parse(line).RootElement.GetProperty("response").GetProperty("body").GetProperty("usage").Clone())
            .ToList();
        Assert.Equal(2, answered.Count);
        Assert.Equal(answered.Sum(static u => u.GetProperty("prompt_tokens").GetInt64()), usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(answered.Sum(static u => u.GetProperty("completion_tokens").GetInt64()), usage.GetProperty("output_tokens").GetInt64());
        Assert.True(usage.GetProperty("total_tokens").GetInt64() > 0);
    }
}
