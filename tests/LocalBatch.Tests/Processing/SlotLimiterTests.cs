using LocalBatch.Internal;

namespace LocalBatch.Tests.Processing;

public sealed class SlotLimiterTests
{
    [Fact]
    public async Task AcquireAsync_BeyondTheLimit_WaitsAndIsServedFirstComeFirstServed()
    {
        var limiter = new SlotLimiter(2);
        var first = await limiter.AcquireAsync(CancellationToken.None);
        var second = await limiter.AcquireAsync(CancellationToken.None);
        var order = new List<int>();
        var third = Take(3);
        var fourth = Take(4);
        Assert.False(third.IsCompleted);

        first.Dispose();
        (await third).Dispose();
        second.Dispose();
        (await fourth).Dispose();

        Assert.Equal([3, 4], order);
        Assert.Equal(0, limiter.InUse);

        async Task<SlotLimiter.Lease> Take(int id)
        {
            var lease = await limiter.AcquireAsync(CancellationToken.None);
            order.Add(id);
            return lease;
        }
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_ThrowsAndTheSlotGoesToTheNext()
    {
        var limiter = new SlotLimiter(1);
        var held = await limiter.AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(cts.Token).AsTask();
        var next = limiter.AcquireAsync(CancellationToken.None).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        held.Dispose();

        (await next).Dispose();
        Assert.Equal(0, limiter.InUse);
    }

    [Fact]
    public async Task Limit_Raised_LetsWaitersIn()
    {
        var limiter = new SlotLimiter(1);
        using var held = await limiter.AcquireAsync(CancellationToken.None);
        var waiting = limiter.AcquireAsync(CancellationToken.None).AsTask();

        limiter.Limit = 2;

        (await waiting).Dispose();
        Assert.Equal(1, limiter.InUse);
    }

    [Fact]
    public async Task Limit_Lowered_TakesEffectAsHoldersLeave()
    {
        var limiter = new SlotLimiter(3);
        var leases = new[] { await limiter.AcquireAsync(CancellationToken.None), await limiter.AcquireAsync(CancellationToken.None), await limiter.AcquireAsync(CancellationToken.None) };
        var waiting = limiter.AcquireAsync(CancellationToken.None).AsTask();

        limiter.Limit = 1;
        leases[0].Dispose();
        leases[1].Dispose();
        Assert.False(waiting.IsCompleted);
        leases[2].Dispose();

        (await waiting).Dispose();
        Assert.Equal(0, limiter.InUse);
    }

    [Fact]
    public async Task AcquireAsync_AlreadyCancelledWithASlotFree_ThrowsAndHoldsNothing()
    {
        var limiter = new SlotLimiter(2);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.AcquireAsync(new CancellationToken(canceled: true)).AsTask());

        Assert.Equal(0, limiter.InUse);
    }
}
