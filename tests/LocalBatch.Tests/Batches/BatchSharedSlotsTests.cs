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
        var big = await manager.CreateAsync(ToStream(ChatLines(300, i => $"big {i}")));
        await env.Gateway.WaitForInFlightAsync(3);

        var small = await manager.CreateAsync(ToStream(ChatLines(12, i => $"small {i}")));
        await WhenSmallWaitsAsync(env.Processor.Client);
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

    /// <summary>Waits, a bounded while, until the small batch's requests wait for the shared slots the big one holds.</summary>
    private static async Task WhenSmallWaitsAsync(LocalGatewayClient client)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (10 * TimeProvider.System.TimestampFrequency);
        while (client.Pool.Waiting < 3)
        {
            Assert.True(TimeProvider.System.GetTimestamp() < deadline, "the small batch never waited for a slot");
            await Task.Delay(1);
        }
    }
}
