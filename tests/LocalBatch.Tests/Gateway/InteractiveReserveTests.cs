using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Gateway;

/// <summary>
/// Batches as background work at the admission point, on a fake clock with a server whose load the test says: the
/// reserve for interactive requests appears with them and goes after the hold-down, interactive requests are served
/// first, other clients' load seen at the server counts, and batches take turns by owner, then by batch.
/// </summary>
public sealed class InteractiveReserveTests : IDisposable
{
    private static readonly Uri Server = new("http://a:8080");
    private readonly FakeTimeProvider _time = new();
    private readonly LoadProbe _probe = new();
    private EndpointPool? _pool;

    public void Dispose() => _pool?.Dispose();

    [Fact]
    public async Task BatchRequests_TakeEverySlot_WhileNoInteractiveRequestIsSeen()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);

        var leases = await TakeAsync(pool, batch, 4);

        Assert.Equal(4, leases.Count);
        Assert.Equal(0, pool.Snapshot()[0].Reserved);
    }

    [Fact]
    public async Task InteractiveRequest_IsServedBeforeBatchRequestsThatWaitedLonger()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        var leases = await TakeAsync(pool, batch, 4);

        var batchWaiting = pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None).AsTask();
        var interactive = pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None).AsTask();
        pool.Complete(leases[0], AttemptOutcome.Answered);

        await interactive.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, pool.Waiting);
        Assert.False(batchWaiting.IsCompleted);
    }

    [Fact]
    public async Task Reserve_AppearsWithAnInteractiveRequest_AndGoesWhenTheHoldDownHasPassed()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        var interactive = await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None);

        // One interactive request in flight: it and one more are kept free (2 of 4); batches get the other 2.
        var leases = await TakeAsync(pool, batch, 2);
        var third = pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None).AsTask();
        Assert.Equal((1, 2), (pool.Snapshot()[0].Interactive, pool.Snapshot()[0].Reserved));
        Assert.False(third.IsCompleted);

        // It ended: one slot stays free for the next, until the hold-down passes.
        pool.Complete(interactive, AttemptOutcome.Answered);
        await third;
        var fourth = pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None).AsTask();
        Assert.Equal(1, pool.Snapshot()[0].Reserved);
        Assert.False(fourth.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(5));

        await fourth.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, pool.Snapshot()[0].Reserved);
    }

    [Fact]
    public async Task Reserve_NeverTakesEverySlot_ABatchAlwaysKeepsOne()
    {
        var pool = Create();
        var interactive = await TakeAsync(pool, group: null, 4);
        pool.Complete(interactive[0], AttemptOutcome.Answered);

        var batch = await pool.AcquireAsync(null, null, new TurnGroup(string.Empty), Placement.None, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3, pool.Snapshot()[0].Reserved);
        Assert.Equal("a", batch.Endpoint.Host);
    }

    [Fact]
    public async Task OtherClientsLoad_SeenAtSlots_IsYieldedTo_AndForgottenWhenItStops()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        await TakeAsync(pool, batch, 2);

        // The server runs three requests: two of this client's, one of someone else's.
        _probe.Load = new ServerLoad(3, [1, 2, 3, null]);
        await LookAsync();
        var waiting = pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None).AsTask();

        Assert.Equal((1, 2), (pool.Snapshot()[0].Interactive, pool.Snapshot()[0].Reserved));
        Assert.False(waiting.IsCompleted);

        _probe.Load = new ServerLoad(2, [1, 2, 3, null]);
        await LookAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((0, 1), (pool.Snapshot()[0].Interactive, pool.Snapshot()[0].Reserved));

        _time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.HoldsAsync(() => pool.Snapshot()[0].Reserved == 0);
    }

    [Fact]
    public async Task OtherClientsShortRequests_SeenAsSlotsThatStartedTasks_AreYieldedTo()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        await TakeAsync(pool, batch, 1);
        _probe.Load = new ServerLoad(1, [7, null, null, null]);
        await LookAsync();

        // Between two looks, slot 1 ran a task and slot 2 another, while this client started none: they were others'.
        _probe.Load = new ServerLoad(1, [7, 8, 9, null]);
        await LookAsync();

        Assert.Equal(1, pool.Snapshot()[0].Reserved);
    }

    [Fact]
    public async Task MarkedBatchRequests_AreThisClients_WhileAnUnmarkedTaskThatRanBetweenLooksIsSomeoneElses()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);

        // Before the server showed that its slots keep the field, a request goes unmarked; after, batch requests carry it.
        var first = await pool.AcquireAsync(null, null, batch, new Placement(Markable: true, Pin: null), CancellationToken.None);
        _probe.Load = new ServerLoad(1, [5, null, null, null], ShowsMarks: true);
        await LookAsync();
        var marked = new List<EndpointLease>();
        for (var i = 0; i < 3; i++)
        {
            marked.Add(await pool.AcquireAsync(null, null, batch, new Placement(Markable: true, Pin: null), CancellationToken.None));
        }

        Assert.False(first.Marked);
        Assert.All(marked, static lease => Assert.True(lease.Marked));

        // Four busy slots, three of them marked: the one unmarked is this client's first request.
        await LookAsync();
        Assert.Equal((0, 0), (pool.Snapshot()[0].Interactive, pool.Snapshot()[0].Reserved));

        // A marked request ended, and its slot then ran a task without the mark, already over: someone else's.
        pool.Complete(marked[0], AttemptOutcome.Answered);
        _probe.Load = new ServerLoad(1, [5, 9, null, null], ShowsMarks: true);
        await LookAsync();
        Assert.Equal((0, 1), (pool.Snapshot()[0].Interactive, pool.Snapshot()[0].Reserved));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BatchFillingEverySlot_LeavesOneFreeForTwoLooks_WhereAnotherClientsTaskShows(bool otherClientCame)
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        _probe.Load = new ServerLoad(0, [null, null, null, null], ShowsMarks: true);
        var leases = new List<EndpointLease>();
        for (var i = 0; i < 4; i++)
        {
            leases.Add(await pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None));
        }

        // Every slot is the batch's: the next look makes room, and the slot that frees is not taken again.
        await LookAsync();
        pool.Complete(leases[0], AttemptOutcome.Answered);
        var fifth = pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None).AsTask();
        await LookAsync();
        Assert.False(fifth.IsCompleted);

        // The free slot ran a task without the mark since: someone else's, and a slot stays theirs; else the room ends.
        _probe.Load = new ServerLoad(0, [otherClientCame ? 12 : null, null, null, null], ShowsMarks: true);
        await LookAsync();
        if (otherClientCame)
        {
            Assert.Equal(1, pool.Snapshot()[0].Reserved);
            Assert.False(fifth.IsCompleted);
        }
        else
        {
            await fifth.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, pool.Snapshot()[0].Reserved);
        }
    }

    [Fact]
    public async Task ServerWithoutSlotsOrMetrics_IsAskedOnce_AndBatchesTakeEverySlot()
    {
        var pool = Create();
        _probe.Load = null;
        var batch = new TurnGroup(string.Empty);
        await TakeAsync(pool, batch, 3);

        await LookAsync();
        await LookAsync();
        var fourth = await pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None);

        Assert.Equal([LoadSource.Slots, LoadSource.Metrics], _probe.Asked);
        Assert.Equal("a", fourth.Endpoint.Host);
    }

    [Fact]
    public async Task ProxiedRequest_IsCountedWithoutWaiting_AndBatchesLeaveRoomForIt()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        var leases = await TakeAsync(pool, batch, 4);

        var proxied = pool.BeginProxied(pool.Endpoints[0]);
        pool.Complete(leases[0], AttemptOutcome.Answered);
        var waiting = pool.AcquireAsync(null, null, batch, Placement.None, CancellationToken.None).AsTask();

        Assert.Equal((1, 2), (pool.Snapshot()[0].Interactive, pool.Snapshot()[0].Reserved));
        Assert.False(waiting.IsCompleted);

        // Ended (once, however often disposed): one slot stays free for the next until the hold-down passes, so the
        // batch, at 3 of 4, takes the next slot that frees.
        proxied.Dispose();
        proxied.Dispose();
        Assert.Equal((0, 1), (pool.Snapshot()[0].Interactive, pool.Snapshot()[0].Reserved));
        Assert.False(waiting.IsCompleted);
        pool.Complete(leases[1], AttemptOutcome.Answered);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ForegroundPriority_KeepsNoReserve()
    {
        var pool = Create(o => o.BatchPriority = BatchPriority.Foreground);
        await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None);

        var leases = await TakeAsync(pool, new TurnGroup(string.Empty), 3);

        Assert.Equal(3, leases.Count);
        Assert.Equal(0, pool.Snapshot()[0].Reserved);
    }

    [Fact]
    public async Task FreeSlot_GoesToTheOwnerWithFewestInFlight_BeforeOneThatWaitedLonger()
    {
        var pool = Create(o => o.BatchPriority = BatchPriority.Foreground);
        var big = new TurnGroup("ana");
        var small = new TurnGroup("bo");
        var leases = await TakeAsync(pool, big, 4);
        var bigWaiting = pool.AcquireAsync(null, null, big, Placement.None, CancellationToken.None).AsTask();
        var smallWaiting = pool.AcquireAsync(null, null, small, Placement.None, CancellationToken.None).AsTask();

        pool.Complete(leases[0], AttemptOutcome.Answered);

        await smallWaiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, pool.Waiting);
        Assert.False(bigWaiting.IsCompleted);
    }

    [Fact]
    public async Task FreeSlot_GoesToTheBatchWithFewestInFlight_AmongOneOwnersBatches()
    {
        var pool = Create(o => o.BatchPriority = BatchPriority.Foreground);
        var first = new TurnGroup("ana");
        var second = new TurnGroup("ana");
        var leases = await TakeAsync(pool, first, 3);
        await TakeAsync(pool, second, 1);
        var firstWaiting = pool.AcquireAsync(null, null, first, Placement.None, CancellationToken.None).AsTask();
        var secondWaiting = pool.AcquireAsync(null, null, second, Placement.None, CancellationToken.None).AsTask();

        pool.Complete(leases[0], AttemptOutcome.Answered);

        await secondWaiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, pool.Waiting);
        Assert.False(firstWaiting.IsCompleted);
    }

    private EndpointPool Create(Action<LocalBatchOptions>? configure = null)
    {
        var options = new LocalBatchOptions { Endpoint = Server };
        configure?.Invoke(options);
        _pool = new EndpointPool(options, _time, NullLogger.Instance, LocalBatchMetrics.Shared, _probe);
        return _pool;
    }

    private static async Task<List<EndpointLease>> TakeAsync(EndpointPool pool, TurnGroup? group, int count)
    {
        var leases = new List<EndpointLease>();
        for (var i = 0; i < count; i++)
        {
            leases.Add(await pool.AcquireAsync(null, null, group, Placement.None, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        return leases;
    }

    /// <summary>Moves the clock to the next look at the server's load, and waits until the pool has read it.</summary>
    private async Task LookAsync()
    {
        var read = _pool!.LooksRead;
        _time.Advance(EndpointPool.LookInterval);
        await Eventually.HoldsAsync(() => _pool.LooksRead > read, "the pool never looked at the server");
    }
}
