using LocalBatch.Batches;
using LocalBatch.Batches.Internal;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>
/// The registry owns its runners' lifetimes: whatever ends a run, the batch leaves the registry and its run lock is
/// released before anyone sees the end (a waiter that sees it can take the batch up again at once).
/// </summary>
public sealed class BatchRunnerRegistryTests
{
    [Fact]
    public async Task Completion_RunEnds_TheBatchHasLeftAndIsUnlockedWhenItIsSeen()
    {
        await using var env = await StartAsync(concurrency: 1);
        var (store, id) = await StoppedMidRunAsync(env);
        await using var registry = new BatchRunnerRegistry(store, env.Processor, TimeProvider.System, NullLogger.Instance);

        var (_, runner) = await registry.TryStartAsync(id, heldLock: null, quiet: true);
        var job = await runner!.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        AssertLetGo(registry, store, id);
        Assert.Equal(BatchStatus.Completed, job.Status);
    }

    [Fact]
    public async Task Completion_ServerRefusesTheKey_TheBatchHasLeftAndIsUnlockedWhenTheRefusalIsSeen()
    {
        await using var env = await StartAsync(concurrency: 1);
        var (store, id) = await StoppedMidRunAsync(env);
        env.Gateway.Options.ApiKey = "a-key-this-client-does-not-have";
        await using var registry = new BatchRunnerRegistry(store, env.Processor, TimeProvider.System, NullLogger.Instance);

        var (_, runner) = await registry.TryStartAsync(id, heldLock: null, quiet: true);
        var refusal = await Assert.ThrowsAsync<LocalGatewayException>(() => runner!.Completion.WaitAsync(TimeSpan.FromSeconds(30)));

        AssertLetGo(registry, store, id);
        Assert.Equal(401, refusal.StatusCode);
        Assert.Equal(BatchStatus.InProgress, (await store.ReadStateAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task DisposeAsync_RunGoingOn_StopsItAsAShutdownThatHasLeftAndIsUnlocked()
    {
        await using var env = await StartAsync(concurrency: 1);
        var (store, id) = await StoppedMidRunAsync(env, pauseAtRequest: 1);
        var registry = new BatchRunnerRegistry(store, env.Processor, TimeProvider.System, NullLogger.Instance);
        var (_, runner) = await registry.TryStartAsync(id, heldLock: null, quiet: true);
        await env.WaitForPauseAsync();

        await registry.DisposeAsync();

        Assert.True(runner!.Completion.IsCompleted);
        AssertLetGo(registry, store, id);
        Assert.Equal(BatchStatus.InProgress, (await runner.Completion).Status);
    }

    private static void AssertLetGo(BatchRunnerRegistry registry, BatchStore store, string id)
    {
        Assert.False(registry.Contains(id));
        using var runLock = store.TryLock(id);
        Assert.NotNull(runLock);
    }

    /// <summary>A batch of four lines whose manager stopped at its second request, and the gateway going again (pausing at that request of the next run, 0 never).</summary>
    private static async Task<(BatchStore Store, string Id)> StoppedMidRunAsync(BatchTestEnvironment env, int pauseAtRequest = 0)
    {
        var id = await BatchResumeTests.StopMidRunAsync(env, ChatLines(4), pauseAtRequest: 2);
        env.PauseAtChatRequest(pauseAtRequest);
        env.Gateway.Resume();
        return (new BatchStore(env.StoreDirectory), id);
    }
}
