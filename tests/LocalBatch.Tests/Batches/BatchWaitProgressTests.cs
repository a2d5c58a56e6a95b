using LocalBatch.Batches;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

public sealed class BatchWaitProgressTests
{
    [Fact]
    public async Task WaitAsync_WithProgress_ReportsWhileRunningAndTheFinalCountsLast()
    {
        await using var env = await StartAsync(concurrency: 2);
        env.PauseAtChatRequest(6);
        await using var manager = env.CreateManager(new BatchJobManagerOptions { ProgressInterval = TimeSpan.FromMilliseconds(1) });
        var progress = new CollectingProgress();

        var waiting = manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(12, i => i == 4 ? "FAIL" : "ok")))).Id, progress);
        await env.WaitForPauseAsync();
        await progress.WaitForReportAsync(); // one while it runs, however fast the rest goes
        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var job = await waiting;

        Assert.Equal(BatchStatus.Completed, job.Status);
        var reports = progress.Reports.ToList();
        Assert.True(reports.Count >= 2);
        Assert.Equal(reports.Select(r => r.Completed).Order(), reports.Select(r => r.Completed));
        var last = reports[^1];
        Assert.Equal((12, 12, 1, 0), (last.Total, last.Completed, last.Failed, last.InFlight));
        Assert.True(last.CompletionTokens > 0);
    }

    [Fact]
    public async Task WaitAsync_WithProgress_BatchRunByAnotherManager_ReportsItsSavedCountsAtEachLook()
    {
        await using var env = await StartAsync(concurrency: 1);
        env.PauseAtChatRequest(3);
        await using var runner = env.CreateManager();
        var id = (await runner.CreateAsync(ToStream(ChatLines(4)))).Id;
        await env.WaitForPauseAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var watcher = env.CreateManager(new BatchJobManagerOptions { ResumeOnStart = false, ProgressInterval = TimeSpan.FromSeconds(5) }, time);
        var progress = new CollectingProgress();

        var waiting = watcher.WaitAsync(id, progress);
        await progress.WaitForReportAsync();
        Assert.False(waiting.IsCompleted);
        var first = Assert.Single(progress.Reports);
        Assert.Equal(4, first.Total);

        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        await runner.WaitAsync(id);
        time.Advance(TimeSpan.FromSeconds(5));
        var job = await waiting;

        Assert.Equal(BatchStatus.Completed, job.Status);
        var last = progress.Reports.Last();
        Assert.Equal((4, 4, 0), (last.Total, last.Completed, last.Failed));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(31 * 24 * 3600 * 1000.0)]
    public void Constructor_ProgressIntervalATimerCannotTake_Throws(double milliseconds)
    {
        var options = new BatchJobManagerOptions { StoreDirectory = Path.GetTempPath(), ProgressInterval = TimeSpan.FromMilliseconds(milliseconds) };

        var error = Assert.Throws<OptionsValidationException>(() => new BatchJobManager(new LocalBatchProcessor(new Uri("http://127.0.0.1:1")), options));

        Assert.Contains("ProgressInterval", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_SeveralBadOptions_ReportsEveryOne()
    {
        var options = new BatchJobManagerOptions { StoreDirectory = " ", MaxLinesPerBatch = 0, ProgressInterval = TimeSpan.Zero };

        var error = Assert.Throws<OptionsValidationException>(() => new BatchJobManager(new LocalBatchProcessor(new Uri("http://127.0.0.1:1")), options));

        Assert.Contains("StoreDirectory", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxLinesPerBatch", error.Message, StringComparison.Ordinal);
        Assert.Contains("ProgressInterval", error.Message, StringComparison.Ordinal);
    }
}
