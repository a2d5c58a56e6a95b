using LocalBatch.Batches;
using LocalBatch.Server.Tests.Support;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Batches;

public sealed class BatchConcurrencyTests
{
    private const int Slots = 2;

    /// <summary>
    /// Two batches at once share the gateway's slots: never more requests in flight than it has, and a small batch
    /// submitted after a huge one finishes long before the huge one does. (The sharing is the library's: one fair pool
    /// of slots across the batches a <see cref="BatchJobManager"/> runs.)
    /// </summary>
    [Fact]
    public async Task TwoBatches_ShareTheGatewaySlots_AndTheSmallOneIsNotStarved()
    {
        await using var env = await ServerTestEnvironment.ServeAsync(slots: Slots);
        env.Gateway.Options.Latency = TimeSpan.FromMilliseconds(5);
        var huge = await env.UploadAsync(ChatLines(200));
        var small = await env.UploadAsync(ChatLines(3));

        var (_, hugeBatch) = await env.CreateBatchAsync(huge.Id);
        await env.Gateway.WaitForInFlightAsync(Slots).WaitAsync(TimeSpan.FromSeconds(30));
        var (_, smallBatch) = await env.CreateBatchAsync(small.Id);
        var smallJob = await env.WaitAsync(smallBatch.GetProperty("id").GetString()!);
        var hugeWhenSmallEnded = await env.Batches.RetrieveAsync(hugeBatch.GetProperty("id").GetString()!);
        var hugeJob = await env.WaitAsync(hugeWhenSmallEnded.Id);

        Assert.Equal(BatchStatus.Completed, smallJob.Status);
        Assert.False(hugeWhenSmallEnded.IsTerminal, "the small batch waited for the huge one to end");
        Assert.Equal(BatchStatus.Completed, hugeJob.Status);
        Assert.True(env.Gateway.Counters.PeakInFlight <= Slots, $"{env.Gateway.Counters.PeakInFlight} requests were in flight at once on a gateway with {Slots} slots");
    }
}
