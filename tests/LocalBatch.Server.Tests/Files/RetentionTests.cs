using LocalBatch.Batches;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Files;

public sealed class RetentionTests
{
    [Fact]
    public async Task Retention_RemovesWhatEndedLongerAgo_NeverARunningBatchNorTheFileItUses()
    {
        await using var env = await ServeAsync(o => o.Retention = TimeSpan.FromHours(1), concurrency: 1);
        var finished = await env.RunBatchAsync(ChatLines(2));
        var finishedInput = (await env.Batches.RetrieveAsync(finished.Id)).InputFileId;
        var unused = await env.UploadAsync("notes", "notes.txt", OpenAI.Files.FileUploadPurpose.UserData);
        env.Env.PauseAtChatRequest(1);
        var runningInput = await env.UploadAsync(ChatLines(2));
        var (running, _) = await env.CreateBatchAsync(runningInput.Id);
        await env.Env.WaitForPauseAsync();
        var expiresAt = (await JsonAsync(await env.Http.GetAsync($"/v1/files/{unused.Id}"))).GetProperty("expires_at").GetInt64();

        await env.Retention.SweepAsync(DateTimeOffset.UtcNow.AddHours(2), CancellationToken.None);

        Assert.Equal(unused.CreatedAt.ToUnixTimeSeconds() + 3600, expiresAt);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => env.Batches.RetrieveAsync(finished.Id));
        await ErrorAsync(await env.Http.GetAsync($"/v1/files/{finished.OutputFileId}"), 404);
        await ErrorAsync(await env.Http.GetAsync($"/v1/files/{finishedInput}"), 404);
        await ErrorAsync(await env.Http.GetAsync($"/v1/files/{unused.Id}"), 404);
        Assert.Equal(200, (int)(await env.Http.GetAsync($"/v1/files/{runningInput.Id}")).StatusCode);
        Assert.True(env.Batches.IsRunning(running.BatchId));

        env.Env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        Assert.Equal(BatchStatus.Completed, (await env.WaitAsync(running.BatchId)).Status);
    }

    [Fact]
    public async Task NoRetention_KeepsEverything()
    {
        await using var env = await ServeAsync();
        var finished = await env.RunBatchAsync(ChatLines(1));

        await env.Retention.SweepAsync(DateTimeOffset.UtcNow.AddYears(1), CancellationToken.None);

        Assert.Equal(BatchStatus.Completed, (await env.Batches.RetrieveAsync(finished.Id)).Status);
        Assert.Equal(200, (int)(await env.Http.GetAsync($"/v1/files/{finished.InputFileId}")).StatusCode);
    }
}
