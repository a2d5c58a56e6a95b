using Microsoft.Extensions.Time.Testing;
using static LocalBatch.Tests.Support.QueueTestGateway;

namespace LocalBatch.Tests.Queue;

/// <summary>How long a RequestQueue keeps finished results.</summary>
public sealed class RequestQueueRetentionTests
{
    [Fact]
    public async Task GetResultAsync_KeepResultsAfterRead_KeepsTheResult()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1, KeepResultsAfterRead = true });
        await queue.SubmitAsync("job", ct => Task.FromResult("kept"));

        var first = await queue.GetResultAsync("job");
        var second = await queue.GetResultAsync("job");

        Assert.Same(first, second);
        Assert.True(queue.TryGetResult("job", out _));
        Assert.Equal(1, queue.Stats.Retained);
        await Assert.ThrowsAsync<ArgumentException>(() => queue.SubmitAsync("job", ct => Task.FromResult("again")));
    }

    [Fact]
    public async Task Retention_MaxRetainedResults_DropsTheOldestFinished()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1, MaxRetainedResults = 3 });
        for (var i = 0; i < 6; i++)
        {
            var value = i;
            await queue.SubmitAsync($"job-{i}", ct => Task.FromResult(value));
            await queue.WaitCompletionAsync();
        }

        Assert.Equal(3, queue.Stats.Retained);
        Assert.False(queue.TryGetResult("job-2", out _));
        Assert.Equal(3, (await queue.GetResultAsync("job-3")).GetValue<int>());
        Assert.Equal(5, (await queue.GetResultAsync("job-5")).GetValue<int>());
        Assert.Equal(1, queue.Stats.Retained);
    }

    [Fact]
    public async Task Retention_ResultRetentionPasses_DropsTheResult()
    {
        var time = new FakeTimeProvider();
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1, KeepResultsAfterRead = true, ResultRetention = TimeSpan.FromMinutes(10) }, timeProvider: time);
        await queue.SubmitAsync("old", ct => Task.FromResult(1));
        await queue.WaitCompletionAsync();
        time.Advance(TimeSpan.FromMinutes(6));
        await queue.SubmitAsync("new", ct => Task.FromResult(2));
        await queue.WaitCompletionAsync();
        Assert.True(queue.TryGetResult("old", out _));

        time.Advance(TimeSpan.FromMinutes(4));

        Assert.False(queue.TryGetResult("old", out _));
        Assert.True(queue.TryGetResult("new", out _));
        Assert.Equal(1, queue.Stats.Retained);
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(0, queue.Stats.Retained);
    }
}
