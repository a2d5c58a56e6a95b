using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using RichardSzalay.MockHttp;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

public sealed class BatchWireFormatTests
{
    private static readonly string[] s_batchFields =
    [
        "id", "object", "endpoint", "errors", "input_file_id", "completion_window", "status", "output_file_id", "error_file_id",
        "created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
        "cancelling_at", "cancelled_at", "request_counts", "metadata", "usage",
    ];

    [Fact]
    public async Task BatchJob_Completed_SerializesEveryOpenAIFieldWithNullsPresent()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var created = await manager.CreateAsync(ToStream(ChatLines(2)), options: new BatchCreateOptions { Metadata = new Dictionary<string, string> { ["team"] = "a" } });
        var job = await manager.WaitAsync(created.Id);

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob));
        var root = json.RootElement;

        Assert.Equal(s_batchFields.Order(StringComparer.Ordinal), root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.StartsWith("batch_", root.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("batch", root.GetProperty("object").GetString());
        Assert.Equal("/v1/chat/completions", root.GetProperty("endpoint").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("errors").ValueKind);
        Assert.Equal("24h", root.GetProperty("completion_window").GetString());
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, root.GetProperty("input_file_id").ValueKind);
        Assert.Equal(JsonValueKind.String, root.GetProperty("output_file_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error_file_id").ValueKind);
        foreach (var name in new[] { "created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at" })
        {
            Assert.Equal(JsonValueKind.Number, root.GetProperty(name).ValueKind);
        }

        foreach (var name in new[] { "failed_at", "expired_at", "cancelling_at", "cancelled_at" })
        {
            Assert.Equal(JsonValueKind.Null, root.GetProperty(name).ValueKind);
        }

        var counts = root.GetProperty("request_counts");
        Assert.Equal(["total", "completed", "failed"], counts.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, counts.GetProperty("total").GetInt32());
        Assert.Equal("a", root.GetProperty("metadata").GetProperty("team").GetString());
        var usage = root.GetProperty("usage");
        Assert.True(usage.GetProperty("input_tokens").GetInt64() > 0);
        Assert.True(usage.GetProperty("output_tokens").GetInt64() > 0);
        Assert.Equal(usage.GetProperty("input_tokens").GetInt64() + usage.GetProperty("output_tokens").GetInt64(), usage.GetProperty("total_tokens").GetInt64());
    }

    [Fact]
    public async Task BatchJob_Usage_SumsTokensWithCachedAndReasoningDetailsInOpenAIFieldOrder()
    {
        using var handler = new MockHttpMessageHandler();
        handler.When(HttpMethod.Post, MockGateway.BaseUrl + Chat).Respond(_ => MockGateway.Json(
            """{"object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}],"usage":{"completion_tokens":16,"prompt_tokens":50,"total_tokens":66,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":3}}}"""));
        using var processor = new LocalBatchProcessor(MockGateway.CreateClient(handler, o => o.MaxConcurrency = 2));
        var store = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store });

            var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2)))).Id);

            using var json = JsonDocument.Parse(JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob));
            var usage = json.RootElement.GetProperty("usage");
            Assert.Equal(["input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details", "total_tokens"], usage.EnumerateObject().Select(p => p.Name));
            Assert.Equal(100, usage.GetProperty("input_tokens").GetInt64());
            Assert.Equal(16, usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt64());
            Assert.Equal(32, usage.GetProperty("output_tokens").GetInt64());
            Assert.Equal(6, usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt64());
            Assert.Equal(132, usage.GetProperty("total_tokens").GetInt64());
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task PublicTypes_SerializedWithCallerOptionsThatDropNulls_StillWriteEveryOpenAIField()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(1)))).Id);
        var line = Assert.Single(await ReadAllAsync(manager.GetResultsAsync(job.Id)));
        var options = new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

        using var batch = JsonDocument.Parse(JsonSerializer.Serialize(job, options));
        using var result = JsonDocument.Parse(JsonSerializer.Serialize(line, options));

        Assert.Equal(s_batchFields.Order(StringComparer.Ordinal), batch.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("completed", batch.RootElement.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, batch.RootElement.GetProperty("failed_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, result.RootElement.GetProperty("error").ValueKind);
    }

    [Fact]
    public void BatchUsage_StateWrittenWithoutDetails_ReadsThemAsZero()
    {
        var usage = JsonSerializer.Deserialize<BatchUsage>("""{"input_tokens":1,"output_tokens":2,"total_tokens":3}""", BatchJsonContext.Default.Options)!;

        Assert.Equal(new BatchUsage(1, 2, 3), usage);
        Assert.Equal(0, usage.InputTokensDetails.CachedTokens);
        Assert.Equal(0, usage.OutputTokensDetails.ReasoningTokens);
    }

    [Fact]
    public async Task BatchJob_FailedValidation_SerializesErrorsListWithNullParamAndLine()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.CreateAsync(ToStream("{bad\n"));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob));
        var root = json.RootElement;

        Assert.Equal(s_batchFields.Order(StringComparer.Ordinal), root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("failed", root.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("failed_at").ValueKind);
        var errors = root.GetProperty("errors");
        Assert.Equal("list", errors.GetProperty("object").GetString());
        var error = Assert.Single(errors.GetProperty("data").EnumerateArray());
        Assert.Equal(["code", "message", "param", "line"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_json_line", error.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal(1, error.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task BatchJob_Running_StatusIsSnakeCaseInProgress()
    {
        await using var env = await StartAsync();
        env.Gateway.Pause();
        await using var manager = env.CreateManager();
        var job = await manager.CreateAsync(ToStream(ChatLines(1)));
        await env.Gateway.WaitForInFlightAsync(1);

        var json = JsonSerializer.Serialize(await manager.RetrieveAsync(job.Id), BatchJsonContext.Default.BatchJob);

        Assert.Contains("\"status\":\"in_progress\"", json, StringComparison.Ordinal);
        Assert.Contains("\"completed_at\":null", json, StringComparison.Ordinal);
        env.Gateway.Resume();
        Assert.Equal(BatchStatus.Completed, (await manager.WaitAsync(job.Id)).Status);
    }

    [Fact]
    public async Task OutputLine_Success_HasOpenAIShape()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(1)))).Id);

        var text = Assert.Single(File.ReadAllLines(manager.GetFilePath(job.Id, BatchFileKind.Output)));
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;

        Assert.Equal(["id", "custom_id", "response", "error"], root.EnumerateObject().Select(p => p.Name));
        Assert.StartsWith("batch_req_", root.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("req-1", root.GetProperty("custom_id").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
        var response = root.GetProperty("response");
        Assert.Equal(["status_code", "request_id", "body"], response.EnumerateObject().Select(p => p.Name));
        Assert.Equal(200, response.GetProperty("status_code").GetInt32());
        Assert.False(string.IsNullOrEmpty(response.GetProperty("request_id").GetString()));
        Assert.Equal("chat.completion", response.GetProperty("body").GetProperty("object").GetString());
        Assert.True(response.GetProperty("body").GetProperty("choices").GetArrayLength() > 0);
    }

    [Fact]
    public async Task ErrorLine_BadRequest_HasResponseFilledAndNullError()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLine("bad", "FAIL please") + "\n"))).Id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(1, 0, 1), job.RequestCounts);
        Assert.Null(job.OutputFileId);
        Assert.NotNull(job.ErrorFileId);
        var text = Assert.Single(File.ReadAllLines(manager.GetFilePath(job.Id, BatchFileKind.Errors)));
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;

        Assert.Equal(["id", "custom_id", "response", "error"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("bad", root.GetProperty("custom_id").GetString());
        var response = root.GetProperty("response");
        Assert.Equal(400, response.GetProperty("status_code").GetInt32());
        Assert.Equal(JsonValueKind.String, response.GetProperty("request_id").ValueKind);
        Assert.Equal("invalid_request_error", response.GetProperty("body").GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
        Assert.Equal(1, env.ChatRequests);
    }

    [Fact]
    public async Task ErrorLine_NoUsableAnswerAfterRetries_HasNullResponseAndErrorCodeMessage()
    {
        await using var env = await StartAsync(concurrency: 1);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            env.Gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.TruncatedBody)); // the first try and 3 retries
        }

        await using var manager = env.CreateManager();
        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2)))).Id);

        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(2, 1, 1), job.RequestCounts);
        using var json = JsonDocument.Parse(Assert.Single(File.ReadAllLines(manager.GetFilePath(job.Id, BatchFileKind.Errors))));
        var root = json.RootElement;
        Assert.Equal(["id", "custom_id", "response", "error"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("req-1", root.GetProperty("custom_id").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("response").ValueKind);
        var error = root.GetProperty("error");
        Assert.Equal(["code", "message"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_response", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task BatchPage_Serialized_HasListShape()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        await manager.CreateAsync(ToStream("{bad\n"));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(await manager.ListAsync(), BatchJsonContext.Default.BatchPage));
        var root = json.RootElement;

        Assert.Equal(["object", "data", "first_id", "last_id", "has_more"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("list", root.GetProperty("object").GetString());
        Assert.False(root.GetProperty("has_more").GetBoolean());
    }
}
