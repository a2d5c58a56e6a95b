using LocalBatch.Batches;
using LocalBatch.Batches.Internal;

namespace LocalBatch.Tests.Batches;

public sealed class BatchStoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("localbatch-store-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task WriteStateAsync_ThenRead_RoundTripsAndLeavesNoTemporaryFile()
    {
        var store = new BatchStore(_root.FullName);
        var job = Job(BatchStore.NewBatchId(DateTimeOffset.UtcNow));
        Directory.CreateDirectory(store.DirectoryOf(job.Id));

        await store.WriteStateAsync(job, CancellationToken.None);
        await store.WriteStateAsync(job with { Status = BatchStatus.Completed }, CancellationToken.None);

        Assert.Equal(BatchStatus.Completed, (await store.ReadStateAsync(job.Id, CancellationToken.None))!.Status);
        Assert.Equal(["batch.json"], Directory.GetFiles(store.DirectoryOf(job.Id)).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ReadStateAsync_Missing_IsNull() =>
        Assert.Null(await new BatchStore(_root.FullName).ReadStateAsync("batch_abc", CancellationToken.None));

    [Fact]
    public async Task ReadStateAsync_Damaged_ThrowsInvalidDataNamingTheFile()
    {
        var store = new BatchStore(_root.FullName);
        Directory.CreateDirectory(store.DirectoryOf("batch_abc"));
        await File.WriteAllTextAsync(Path.Combine(store.DirectoryOf("batch_abc"), "batch.json"), "{\"id\":");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadStateAsync("batch_abc", CancellationToken.None));

        Assert.Contains("batch.json", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../batch_abc")]
    [InlineData("batch_..")]
    [InlineData("batch_a/b")]
    [InlineData("batch_a%2F..")]
    [InlineData("file-abc")]
    [InlineData("")]
    public void DirectoryOf_NotABatchId_Throws(string id) =>
        Assert.Throws<ArgumentException>(() => new BatchStore(_root.FullName).DirectoryOf(id));

    [Fact]
    public async Task ListIds_FoldersWithoutStateOrNotBatches_AreSkipped()
    {
        var store = new BatchStore(_root.FullName);
        var job = Job("batch_one");
        Directory.CreateDirectory(store.DirectoryOf(job.Id));
        await store.WriteStateAsync(job, CancellationToken.None);
        Directory.CreateDirectory(store.DirectoryOf("batch_crashedbeforestate"));
        Directory.CreateDirectory(Path.Combine(_root.FullName, "files"));

        Assert.Equal(["batch_one"], store.ListIds());
    }

    [Fact]
    public void TryLock_HeldByAnother_ReturnsNullUntilReleased()
    {
        var store = new BatchStore(_root.FullName);
        Directory.CreateDirectory(store.DirectoryOf("batch_x"));

        using (var held = store.TryLock("batch_x"))
        {
            Assert.NotNull(held);
            Assert.Null(store.TryLock("batch_x"));
        }

        using var again = store.TryLock("batch_x");
        Assert.NotNull(again);
        Assert.True(File.Exists(store.LockPath("batch_x")), "the lock file stays, so that two processes never lock two different files");
    }

    private static BatchJob Job(string id) => new() { Id = id, Endpoint = "/v1/completions", InputFileId = "file-x", Status = BatchStatus.InProgress };
}
