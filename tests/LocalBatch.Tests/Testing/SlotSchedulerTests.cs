using LocalBatch.Testing.Internal;

namespace LocalBatch.Tests.Testing;

/// <summary>The simulator's slots: least recently used, id_slot pinning, the waiting queue, cancellation.</summary>
public sealed class SlotSchedulerTests
{
    private static readonly SlotClaim s_any = new() { IsGeneration = true };

    [Fact]
    public async Task AcquireAsync_IdleSlots_TakesLeastRecentlyUsedLastIndexOnTies()
    {
        var scheduler = new SlotScheduler(3);

        var first = await TakeNowAsync(scheduler, s_any);
        var second = await TakeNowAsync(scheduler, s_any);
        scheduler.Release(first);
        var third = await TakeNowAsync(scheduler, s_any);
        var fourth = await TakeNowAsync(scheduler, s_any);

        // Never used slots tie (llama-server compares with <=): the last wins. Then the one released longest ago.
        Assert.Equal([2, 1, 0, 2], [first, second, third, fourth]);
    }

    [Fact]
    public async Task AcquireAsync_IdSlot_WaitsForThatSlotWhileOthersAreIdle()
    {
        var scheduler = new SlotScheduler(2);

        var pinned = await TakeNowAsync(scheduler, Pinned(1));
        var wrapped = scheduler.AcquireAsync(Pinned(5), default).AsTask();
        var any = await TakeNowAsync(scheduler, s_any);

        Assert.Equal(1, pinned);
        Assert.False(wrapped.IsCompleted);
        Assert.Equal(0, any);

        scheduler.Release(0);
        Assert.False(wrapped.IsCompleted);
        scheduler.Release(1);
        Assert.Equal(1, (await wrapped).Slot);
    }

    [Fact]
    public async Task Release_Waiters_FirstComeFirstServedAndPinnedFirstForTheirSlot()
    {
        var scheduler = new SlotScheduler(2);
        await TakeNowAsync(scheduler, s_any);
        await TakeNowAsync(scheduler, s_any);

        var firstAny = scheduler.AcquireAsync(s_any, default).AsTask();
        var pinnedToZero = scheduler.AcquireAsync(Pinned(0), default).AsTask();
        var secondAny = scheduler.AcquireAsync(s_any, default).AsTask();

        scheduler.Release(1);
        Assert.Equal(1, (await firstAny).Slot);
        Assert.False(pinnedToZero.IsCompleted);
        Assert.False(secondAny.IsCompleted);

        scheduler.Release(0);
        Assert.Equal(0, (await pinnedToZero).Slot);
        Assert.False(secondAny.IsCompleted);

        scheduler.Release(1);
        Assert.Equal(1, (await secondAny).Slot);
    }

    [Fact]
    public async Task AcquireAsync_CanceledWhileWaiting_ThrowsAndLeavesTheQueue()
    {
        var scheduler = new SlotScheduler(1);
        var holder = await TakeNowAsync(scheduler, s_any);
        using var cts = new CancellationTokenSource();

        var canceled = scheduler.AcquireAsync(s_any, cts.Token).AsTask();
        var next = scheduler.AcquireAsync(s_any, default).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled);
        Assert.False(next.IsCompleted);
        scheduler.Release(holder);
        Assert.Equal(0, (await next).Slot);
    }

    internal static SlotClaim Pinned(int slot) => new() { IsGeneration = true, PinnedSlot = slot };

    /// <summary>Acquires a slot that must be free now, and returns its index.</summary>
    internal static async Task<int> TakeNowAsync(SlotScheduler scheduler, SlotClaim claim)
    {
        var acquire = scheduler.AcquireAsync(claim, default).AsTask();
        Assert.True(acquire.IsCompletedSuccessfully, "a slot should have been free");
        return (await acquire).Slot;
    }
}
