using LocalBatch.Batches;
using LocalBatch.Tests.Support;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>BatchJob.Waiting: why an unfinished batch makes no progress, live while no server answers and saved once its run stopped.</summary>
public sealed class BatchWaitingTests
{
    [Fact]
    public async Task RetrieveAsync_NoServerAnswers_SaysWhyTheBatchWaitsLiveThenSavedThenNoMoreOnceItRuns()
    {
        await using var env = await StartAsync();
        await env.Gateway.StopListeningAsync();

        // Retries far apart: the run stays in its retries long enough to be looked at.
        using var processor = new LocalBatchProcessor(new LocalBatchOptions
        {
            Endpoint = env.Gateway.Endpoint,
            MaxConcurrency = 2,
            MaxRetryAttempts = 1,
            RetryBaseDelay = TimeSpan.FromSeconds(2),
            MaxRetryDelay = TimeSpan.FromSeconds(2),
        });
        await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = env.StoreDirectory });
        var id = (await manager.CreateAsync(ToStream(ChatLines(2)))).Id;
        await Eventually.HoldsAsync(() => !processor.Client.Pool.Snapshot()[0].InRotation, "the server never left the rotation");
        var live = await manager.RetrieveAsync(id);

        await Assert.ThrowsAsync<LocalGatewayException>(() => manager.WaitAsync(id));
        var saved = await manager.RetrieveAsync(id);
        var onDisk = await BatchResumeTests.ReadStateAsync(Path.GetDirectoryName(manager.GetFilePath(id, BatchFileKind.Output))!);
        await env.Gateway.StartListeningAsync();
        var job = await manager.WaitAsync(id);

        Assert.Equal(BatchStatus.InProgress, live.Status);
        Assert.Equal("gateway_unreachable", live.Waiting?.Code);
        Assert.Contains($"The gateway at {env.Gateway.Endpoint.ToString().TrimEnd('/')} does not answer", live.Waiting!.Message, StringComparison.Ordinal);
        Assert.Equal("gateway_unreachable", saved.Waiting?.Code);
        Assert.Contains("resume it once the server is back", saved.Waiting!.Message, StringComparison.Ordinal);
        Assert.Equal(saved.Waiting, onDisk.Waiting);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Null(job.Waiting);
    }

    [Fact]
    public void BatchJob_Serialized_WritesWaitingOnlyWhileThereIsAReason()
    {
        var job = new BatchJob { Id = "batch_1", Endpoint = Chat, InputFileId = "file-1" };

        var running = System.Text.Json.JsonSerializer.Serialize(job, BatchJsonContext.Default.BatchJob);
        var waiting = System.Text.Json.JsonSerializer.Serialize(job with { Waiting = new BatchWaiting("gateway_loading", "Loading", 1) }, BatchJsonContext.Default.BatchJob);

        Assert.DoesNotContain("\"waiting\"", running, StringComparison.Ordinal);
        Assert.Contains("\"waiting\":{\"code\":\"gateway_loading\",\"message\":\"Loading\",\"since\":1}", waiting, StringComparison.Ordinal);
    }
}
