using LocalBatch.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>Batches running at once in one manager share the server's slots, and take turns at them.</summary>
public sealed class BatchSharedSlotsTests
{
    [Fact]
    public async Task TwoBatches_AtOnce_NeverMoreInFlightThanTheSlotsAndTheLaterSmallOneIsNotStarved()
    {
        await using var env = await StartAsync(concurrency: 3, slots: 3);
        await using var manager = env.CreateManager();
        env.Gateway.Pause();
        var big = await manager.CreateAsync(ToStream(ChatLines(300)));
        await env.Gateway.WaitForInFlightAsync(3);

        var small = await manager.CreateAsync(ToStream(ChatLines(12)));
        env.Gateway.Resume();
        small = await manager.WaitAsync(small.Id);
        var bigWhenSmallEnded = await manager.RetrieveAsync(big.Id);
        big = await manager.WaitAsync(big.Id);

        Assert.Equal((BatchStatus.Completed, 12), (small.Status, small.RequestCounts.Completed));
        Assert.Equal((BatchStatus.Completed, 300), (big.Status, big.RequestCounts.Completed));
        Assert.Equal(BatchStatus.InProgress, bigWhenSmallEnded.Status);
        Assert.True(bigWhenSmallEnded.RequestCounts.Completed < 100, $"the small batch waited behind {bigWhenSmallEnded.RequestCounts.Completed} of the big one's requests");
        Assert.Equal(3, env.Gateway.Counters.PeakInFlight);
    }
}
