using System.Net;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Batches.Internal;
using LocalBatch.Tests.Support;
using RichardSzalay.MockHttp;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>
/// Result lines hold the server's answers as it sent them, and the error messages as they read: no <c>\u003C</c>,
/// <c>\u0026</c> or <c>\u0027</c> for a grep to miss; a running batch shows the usage so far; any process's run shows.
/// </summary>
public sealed class BatchResultBytesTests
{
    private const string Content = "if a < b && c > 'd' then \\\"café\\\"";

    private const string Answer =
        $$$"""{"object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"{{{Content}}}"}}],"usage":{"completion_tokens":3,"prompt_tokens":5,"total_tokens":8}}""";

    private const string PrettyAnswer = """
        {
          "object": "chat.completion",
          "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "a <b> & 'c'"}}]
        }
        """;

    [Fact]
    public async Task ResultLines_AnswersAndErrorsWithMarkupCharacters_HoldThemAsTheServerSentThem()
    {
        using var handler = new MockHttpMessageHandler();
        handler.When(HttpMethod.Post, MockGateway.BaseUrl + Chat).WithPartialContent("FAIL").Respond(_ =>
            MockGateway.Json(MockGateway.ErrorBody(400, "invalid_request_error", "can't parse <input> & more"), HttpStatusCode.BadRequest));
        handler.When(HttpMethod.Post, MockGateway.BaseUrl + Chat).WithPartialContent("PRETTY").Respond(_ => MockGateway.Json(PrettyAnswer));
        handler.When(HttpMethod.Post, MockGateway.BaseUrl + Chat).Respond(_ => MockGateway.Json(Answer));
        using var processor = new LocalBatchProcessor(MockGateway.CreateClient(handler, o => o.MaxConcurrency = 2));
        var store = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store });
            var input = ChatLine("it's <1> & more", "plain") + "\n" + ChatLine("req-2", "FAIL") + "\n" + ChatLine("req-3", "PRETTY") + "\n";

            var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(input))).Id);

            var output = await File.ReadAllTextAsync(manager.GetFilePath(job.Id, BatchFileKind.Output));
            var errors = await File.ReadAllTextAsync(manager.GetFilePath(job.Id, BatchFileKind.Errors));
            Assert.Contains($"\"body\":{Answer}", output, StringComparison.Ordinal);
            Assert.Contains("\"custom_id\":\"it's <1> & more\"", output, StringComparison.Ordinal);
            Assert.Contains("can't parse <input> & more", errors, StringComparison.Ordinal);
            foreach (var escaped in new[] { "\\u003C", "\\u003E", "\\u0026", "\\u0027", "\\u00E9" })
            {
                Assert.DoesNotContain(escaped, output + errors, StringComparison.OrdinalIgnoreCase);
            }

            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length); // the pretty-printed answer is on one line
            var read = await ReadAllAsync(manager.GetResultsAsync(job.Id));
            Assert.Equal("if a < b && c > 'd' then \"café\"", read.Single(line => line.CustomId == "it's <1> & more").GetBody<ChatCompletionResponse>().Content);
            Assert.Equal("a <b> & 'c'", read.Single(line => line.CustomId == "req-3").GetBody<ChatCompletionResponse>().Content);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task ReadLines_LineWrittenEscapedByAnEarlierVersion_StillReads()
    {
        var path = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N") + ".jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, """{"id":"batch_req_1","custom_id":"a\u0027s","response":{"status_code":200,"request_id":"r","body":{"object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"x \u003C y \u0026 z"}}]}},"error":null}""" + "\n");
        try
        {
            var line = Assert.Single(await ReadAllAsync(BatchResultFile.ReadLinesAsync(path, CancellationToken.None)));

            Assert.Equal("a's", line.CustomId);
            Assert.Equal("x < y & z", line.GetBody<ChatCompletionResponse>().Content);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Serialize_ResultLine_WritesTheBodyBytesWhateverTheCallersOptions()
    {
        using var body = JsonDocument.Parse(Answer);
        var line = new BatchResultLine("batch_req_1", "c", new BatchResponse(200, "r", body.RootElement), null);

        var json = JsonSerializer.Serialize(line, BatchJsonContext.Default.BatchResultLine);

        Assert.Contains($"\"body\":{Answer}", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetrieveAsync_WhileRunning_ShowsTheUsageOfTheAnswersSoFar()
    {
        await using var env = await StartAsync(concurrency: 1);
        await using var manager = env.CreateManager();
        env.PauseAtChatRequest(3);
        var job = await manager.CreateAsync(ToStream(ChatLines(6)));
        await env.WaitForPauseAsync();
        // The two answers before the pause are recorded once the runner has taken them (the request paused may come first).
        var started = TimeProvider.System.GetTimestamp();
        BatchJob running;
        while ((running = await manager.RetrieveAsync(job.Id)).RequestCounts.Completed < 2)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "the two answers were never recorded");
            await Task.Delay(1);
        }

        var answered = await ReadAllAsync(manager.GetResultsAsync(job.Id));

        Assert.Equal(BatchStatus.InProgress, running.Status);
        Assert.Equal(2, answered.Count);
        var prompt = answered.Sum(static line => line.Response!.Body.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        var completion = answered.Sum(static line => line.Response!.Body.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
        Assert.Equal((prompt, completion, prompt + completion), (running.Usage!.InputTokens, running.Usage.OutputTokens, running.Usage.TotalTokens));
        Assert.True(completion > 0);
    }

    [Fact]
    public async Task IsRunningAnywhere_RunHereElsewhereOrNowhere_SaysWhetherAProcessRunsIt()
    {
        await using var env = await StartAsync(concurrency: 1);
        var runner = env.CreateManager();
        await using var looker = new BatchJobManager(env.Processor, new BatchJobManagerOptions { StoreDirectory = env.StoreDirectory, ResumeOnStart = false });
        env.PauseAtChatRequest(2);
        var job = await runner.CreateAsync(ToStream(ChatLines(3)));
        await env.WaitForPauseAsync();

        var (here, elsewhere) = (runner.IsRunningAnywhere(job.Id), looker.IsRunningAnywhere(job.Id));
        await runner.DisposeAsync();
        var stopped = looker.IsRunningAnywhere(job.Id);

        Assert.True(here);
        Assert.True(elsewhere);
        Assert.False(stopped);
        Assert.False(looker.IsRunning(job.Id));
        Assert.Throws<ArgumentException>(() => looker.IsRunningAnywhere("../x"));
    }
}
