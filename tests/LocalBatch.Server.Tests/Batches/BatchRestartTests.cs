using LocalBatch.Batches;
using LocalBatch.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Batches;

public sealed class BatchRestartTests
{
    private const int Total = 8;

    [Fact]
    public async Task ServerStoppedMidBatch_StartedAgain_ResumesByItselfAndAnswersEveryCustomIdOnce()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Env.PauseAtChatRequest(4);
        var file = await env.UploadAsync(ChatLines(Total, i => i == 2 ? "FAIL" : "ok " + i));
        var (operation, _) = await env.CreateBatchAsync(file.Id);
        await env.Env.WaitForPauseAsync();

        await env.StopServerAsync();
        var stopped = await ReadStateAsync(env, operation.BatchId);
        env.Env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var sentBefore = env.Gateway.Counters.GetRequests(Chat);
        var requestsBefore = env.Gateway.Counters.TotalRequests;
        await env.StartServerAsync();

        // Resumed at start-up, before any request to the server.
        await env.Gateway.WaitForRequestsAsync(requestsBefore + 1).WaitAsync(TimeSpan.FromSeconds(30));
        var job = await env.WaitAsync(operation.BatchId);
        var output = await File.ReadAllTextAsync(env.Batches.GetFilePath(job.Id, BatchFileKind.Output));
        var errors = await File.ReadAllTextAsync(env.Batches.GetFilePath(job.Id, BatchFileKind.Errors));

        Assert.Equal(BatchStatus.InProgress, stopped.Status);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(Expected(Total), CustomIds(output).Concat(CustomIds(errors)).Order(StringComparer.Ordinal));
        Assert.Equal(["req-2"], CustomIds(errors));
        Assert.Equal(new BatchRequestCounts(Total, Total - 1, 1), job.RequestCounts);
        Assert.Equal(Total - stopped.RequestCounts.Completed - stopped.RequestCounts.Failed, env.Gateway.Counters.GetRequests(Chat) - sentBefore);
    }

    /// <remarks>
    /// Meanwhile the batch says why it waits (<c>waiting</c>), and the log says that the gateway went down and came back,
    /// once each: its retries are at Debug, not a warning each.
    /// </remarks>
    [Fact]
    public async Task GatewayUnreachable_BatchWaitsInProgressAndResumesWhenItIsBack()
    {
        await using var env = await ServeAsync(concurrency: 1);
        env.Env.PauseAtChatRequest(3);
        var file = await env.UploadAsync(ChatLines(Total));
        var (operation, _) = await env.CreateBatchAsync(file.Id);
        await env.Env.WaitForPauseAsync();

        await env.Gateway.StopListeningAsync();
        // Its run stopped once every retry failed (a failed run leaves the manager before its outcome is seen).
        await env.Logs.WaitForAsync(line => line.Contains($"Batch {operation.BatchId} stopped: the gateway at", StringComparison.Ordinal));
        Assert.False(env.Batches.IsRunning(operation.BatchId));
        var during = await JsonAsync(await env.Http.GetAsync($"/v1/batches/{operation.BatchId}"));
        env.Env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        await env.Gateway.StartListeningAsync();
        var job = await env.WaitAsync(operation.BatchId);
        var output = await File.ReadAllTextAsync(env.Batches.GetFilePath(job.Id, BatchFileKind.Output));
        await env.Logs.WaitForAsync(line => line.Contains("is back in the rotation", StringComparison.Ordinal));
        var after = await JsonAsync(await env.Http.GetAsync($"/v1/batches/{operation.BatchId}"));

        Assert.Equal("in_progress", during.GetProperty("status").GetString());
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(Expected(Total), CustomIds(output).Order(StringComparer.Ordinal));
        Assert.Null(job.ErrorFileId);
        var waiting = during.GetProperty("waiting");
        Assert.Equal("gateway_unreachable", waiting.GetProperty("code").GetString());
        Assert.Contains("stopped answering", waiting.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(waiting.GetProperty("since").GetInt64() > 0);
        Assert.False(after.TryGetProperty("waiting", out _));
        var lines = env.Logs.Lines.ToList();
        Assert.Equal(1, lines.Count(line => line.Contains("left the rotation", StringComparison.Ordinal)));
        Assert.Equal(1, lines.Count(line => line.Contains("is back in the rotation", StringComparison.Ordinal)));
        Assert.Contains(lines, line => line.StartsWith("Debug ", StringComparison.Ordinal) && line.Contains("Retrying POST", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => !line.StartsWith("Debug ", StringComparison.Ordinal) && line.Contains("Retrying POST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GatewayRefusesTheGatewayKey_BatchWaitsAPauseRatherThanLooping_AndResumesOnceTheKeyIsRight()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var env = await ServeAsync(
            o => (o.GatewayApiKey, o.GatewayRetryInterval) = ("serve-gateway-key-3c1d", TimeSpan.FromMinutes(1)),
            concurrency: 1,
            configureHost: host => host.Services.AddSingleton<TimeProvider>(clock));
        env.Gateway.Options.ApiKey = "another-key-e7f2"; // the gateway wants another key: /health, which needs none, is fine
        var file = await env.UploadAsync(ChatLines(Total));
        var (operation, _) = await env.CreateBatchAsync(file.Id);

        var refused = await env.Logs.WaitForAsync(line => line.Contains("refused this server's gateway key (401)", StringComparison.Ordinal));
        var sentAtTheRefusal = env.Env.ChatRequests;
        var during = await env.Batches.RetrieveAsync(operation.BatchId);
        var sentWhileRefused = env.Env.ChatRequests;
        var refusalsLogged = env.Logs.Lines.Count(line => line.Contains("refused this server's gateway key", StringComparison.Ordinal));
        env.Gateway.Options.ApiKey = "serve-gateway-key-3c1d"; // the gateway restarted with the key serve has
        clock.Advance(TimeSpan.FromMinutes(1));
        var job = await env.WaitAsync(operation.BatchId);

        Assert.Contains("--gateway-api-key", refused, StringComparison.Ordinal);
        Assert.Contains("Trying again in 00:01:00", refused, StringComparison.Ordinal);
        Assert.Equal(BatchStatus.InProgress, during.Status);
        // The refused request (two when the first run ended before the supervisor watched it, which then resumed it once),
        // and not one more until the pause is over: the loop this replaced sent 50 to 100 a second, each logged.
        Assert.InRange(sentAtTheRefusal, 1, 2);
        Assert.Equal(sentAtTheRefusal, sentWhileRefused);
        Assert.Equal(1, refusalsLogged);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(Total, Total, 0), job.RequestCounts);
        Assert.DoesNotContain(env.Logs.Lines, line => line.Contains("serve-gateway-key-3c1d", StringComparison.Ordinal) || line.Contains("another-key-e7f2", StringComparison.Ordinal));
    }

    private static async Task<BatchJob> ReadStateAsync(ServerTestEnvironment env, string batchId)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(env.Env.StoreDirectory, batchId, "batch.json"));
        return System.Text.Json.JsonSerializer.Deserialize(text, BatchJsonContext.Default.BatchJob)!;
    }
}
