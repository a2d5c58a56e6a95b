using LocalBatch.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

public sealed class BatchDeleteTests
{
    [Fact]
    public async Task DeleteAsync_Completed_RemovesTheBatchAndItsFiles()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var kept = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2)))).Id);
        var deleted = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(3)))).Id);
        var folder = Path.GetDirectoryName(manager.GetFilePath(deleted.Id, BatchFileKind.Output))!;

        await manager.DeleteAsync(deleted.Id);

        Assert.False(Directory.Exists(folder));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => manager.RetrieveAsync(deleted.Id));
        Assert.Equal([kept.Id], (await manager.ListAsync()).Data.Select(job => job.Id));
        Assert.Equal(BatchStatus.Completed, (await manager.RetrieveAsync(kept.Id)).Status);
    }

    [Fact]
    public async Task DeleteAsync_Running_RefusesAndKeepsIt()
    {
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(1);
        await using var manager = env.CreateManager();
        var id = (await manager.CreateAsync(ToStream(ChatLines(2)))).Id;
        await env.WaitForPauseAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => manager.DeleteAsync(id));

        env.Gateway.Resume();
        Assert.Equal(BatchStatus.Completed, (await manager.WaitAsync(id)).Status);
    }

    [Theory]
    [InlineData("batch_0123abcd", typeof(KeyNotFoundException))]
    [InlineData("../batch_x", typeof(ArgumentException))]
    public async Task DeleteAsync_UnknownOrInvalidId_Throws(string id, Type expected)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var error = await Record.ExceptionAsync(() => manager.DeleteAsync(id));

        Assert.IsType(expected, error, exactMatch: false);
    }
}
