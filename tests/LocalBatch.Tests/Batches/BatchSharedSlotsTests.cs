using LocalBatch.Batches;
using LocalBatch.Tests.Support;
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
        var big = await manager.CreateAsync(ToStream(ChatLines(300, i => $"big {i}")));
        await env.Gateway.WaitForInFlightAsync(3);

        var small = await manager.CreateAsync(ToStream(ChatLines(12, i => $"small {i}")));
        await Eventually.HoldsAsync(() => env.Processor.Client.Pool.Waiting >= 3, "the small batch never waited for a slot");
        env.Gateway.Resume();
        small = await manager.WaitAsync(small.Id);
        big = await manager.WaitAsync(big.Id);

        // Taking turns: by the small batch's last request, the big one sent about as many as the small one.
        var arrivals = env.ChatArrivals.ToList();
        var lastSmall = arrivals.FindLastIndex(prompt => prompt.StartsWith("small", StringComparison.Ordinal));
        var bigBeforeIt = arrivals.Take(lastSmall).Count(prompt => prompt.StartsWith("big", StringComparison.Ordinal));

        Assert.Equal((BatchStatus.Completed, 12), (small.Status, small.RequestCounts.Completed));
        Assert.Equal((BatchStatus.Completed, 300), (big.Status, big.RequestCounts.Completed));
        // Strictly alternating would be 3 + 12; a loaded machine lets the big batch slip in a few more between the small
        // one's turns. Starving it would be close to 300.
        Assert.InRange(bigBeforeIt, 3, 3 + (2 * 12));
        Assert.Equal(3, env.Gateway.Counters.PeakInFlight);
    }
}
