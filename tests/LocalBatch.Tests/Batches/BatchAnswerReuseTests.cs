using System.Text.Json;
using LocalBatch.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>BatchCreateOptions.ReuseAnswersFrom: a new batch takes the answers earlier batches gave to its unchanged lines.</summary>
public sealed class BatchAnswerReuseTests
{
    [Fact]
    public async Task CreateAsync_ReuseAnswersFrom_SendsOnlyNewChangedAndFailedLines_AndCopiesTheRestByteForByte()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var earlier = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(6, i => i == 3 ? "FAIL 3" : $"prompt {i}")))).Id);
        Assert.Equal(new BatchRequestCounts(6, 5, 1), earlier.RequestCounts);
        var earlierLines = OutputLines(manager, earlier.Id);
        var sentBefore = env.ChatRequests;

        // req-2 gone, req-3 failed before (sent again as it is), req-5 edited, req-7 new.
        var input = string.Concat(new[] { 1, 3, 4, 5, 6, 7 }.Select(i => ChatLine($"req-{i}", i switch { 3 => "FAIL 3", 5 => "prompt 5, edited", _ => $"prompt {i}" }) + "\n"));
        var created = await manager.CreateAsync(ToStream(input), options: new BatchCreateOptions { ReuseAnswersFrom = [earlier.Id] });
        var job = await manager.WaitAsync(created.Id);

        Assert.Equal(3, created.RequestCounts.Reused);
        Assert.Equal(new BatchRequestCounts(6, 5, 1) { Reused = 3 }, job.RequestCounts);
        Assert.Equal(3, env.ChatRequests - sentBefore);
        var lines = OutputLines(manager, job.Id);
        Assert.Equal(["req-1", "req-4", "req-5", "req-6", "req-7"], lines.Keys.Order(StringComparer.Ordinal));
        Assert.All(new[] { "req-1", "req-4", "req-6" }, id => Assert.Equal(earlierLines[id], lines[id]));
        Assert.NotEqual(earlierLines["req-5"], lines["req-5"]);
        Assert.Equal(["req-3"], (await ReadAllAsync(manager.GetErrorsAsync(job.Id))).Select(line => line.CustomId));
    }

    [Fact]
    public async Task CreateAsync_ReuseAnswersFrom_TwoBatchesAnsweringTheSameLines_TakesEachOnceFromTheFirst()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var first = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(4)))).Id);
        var second = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(5)))).Id);
        var sentBefore = env.ChatRequests;

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(6)), options: new BatchCreateOptions { ReuseAnswersFrom = [first.Id, second.Id] })).Id);

        Assert.Equal(new BatchRequestCounts(6, 6, 0) { Reused = 5 }, job.RequestCounts);
        Assert.Equal(1, env.ChatRequests - sentBefore);
        var lines = OutputLines(manager, job.Id);
        Assert.Equal(6, lines.Count); // each custom_id once
        Assert.Equal(OutputLines(manager, first.Id)["req-4"], lines["req-4"]);
        Assert.Equal(OutputLines(manager, second.Id)["req-5"], lines["req-5"]);
    }

    [Fact]
    public async Task CreateAsync_ReuseAnswersFrom_AnAnswerCutShortByACrashIsNotReused()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var earlier = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(3)))).Id);
        var output = manager.GetFilePath(earlier.Id, BatchFileKind.Output);
        var lines = File.ReadAllLines(output);
        var torn = lines.Single(line => line.Contains("\"req-3\"", StringComparison.Ordinal));
        File.WriteAllText(output, string.Concat(lines.Where(line => line != torn).Select(line => line + "\n")) + torn[..^5]);
        var sentBefore = env.ChatRequests;

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(3)), options: new BatchCreateOptions { ReuseAnswersFrom = [earlier.Id] })).Id);

        Assert.Equal(new BatchRequestCounts(3, 3, 0) { Reused = 2 }, job.RequestCounts);
        Assert.Equal(1, env.ChatRequests - sentBefore);
        Assert.Equal(3, OutputLines(manager, job.Id).Count);
    }

    [Fact]
    public async Task CreateAsync_ReuseAnswersFrom_NothingToReuse_SendsEverythingAndWritesNoOutputBeforeRunning()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var earlier = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2, i => "FAIL " + i)))).Id);

        var job = await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(2, i => "FAIL " + i)), options: new BatchCreateOptions { ReuseAnswersFrom = [earlier.Id] })).Id);

        Assert.Equal(new BatchRequestCounts(2, 0, 2), job.RequestCounts);
        Assert.Equal(4, env.ChatRequests);
        Assert.Null(job.OutputFileId);
        Assert.Empty(Directory.GetFiles(Path.Combine(manager.StoreDirectory, job.Id), "*.tmp"));
    }

    [Theory]
    [InlineData("batch_0123456789abcdef0123456789abcdef")]
    [InlineData("../elsewhere")]
    public async Task CreateAsync_ReuseAnswersFromNoBatchOfTheStore_ThrowsArgumentExceptionAndCreatesNothing(string id)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateAsync(ToStream(ChatLines(2)), options: new BatchCreateOptions { ReuseAnswersFrom = [id] }));

        Assert.Contains(id, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(manager.StoreDirectory));
        Assert.Equal(0, env.ChatRequests);
    }

    [Fact]
    public void RequestCounts_Json_HasReusedOnlyWhenSomeWere_AndReadsBack()
    {
        var plain = JsonSerializer.Serialize(new BatchRequestCounts(3, 2, 1), BatchJsonContext.Default.BatchRequestCounts);
        var reused = JsonSerializer.Serialize(new BatchRequestCounts(3, 2, 1) { Reused = 2 }, BatchJsonContext.Default.BatchRequestCounts);

        Assert.Equal("""{"total":3,"completed":2,"failed":1}""", plain);
        Assert.Equal("""{"total":3,"completed":2,"failed":1,"reused":2}""", reused);
        Assert.Equal(2, JsonSerializer.Deserialize(reused, BatchJsonContext.Default.BatchRequestCounts)!.Reused);
    }

    /// <summary>A batch's output lines as written, by custom_id.</summary>
    private static Dictionary<string, string> OutputLines(BatchJobManager manager, string batchId) =>
        File.ReadAllLines(manager.GetFilePath(batchId, BatchFileKind.Output))
            .ToDictionary(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()!, StringComparer.Ordinal);
}
