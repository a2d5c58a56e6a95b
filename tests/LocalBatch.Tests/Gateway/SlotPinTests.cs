using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Gateway;

/// <summary>
/// Slots kept by prefix-affinity lanes (<c>id_slot</c>), given out at the admission point: one lane to a slot, kept from
/// one request to the next, freed when the lane ends, and never while somebody else uses the server.
/// </summary>
public sealed class SlotPinTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly LoadProbe _probe = new();
    private EndpointPool? _pool;

    public void Dispose() => _pool?.Dispose();

    [Fact]
    public async Task Lanes_EachKeepTheirOwnSlot_FromOneRequestToTheNext()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        SlotPin[] pins = [new(), new(), new()];

        var first = await Task.WhenAll(pins.Select(pin => AcquireAsync(pool, batch, pin)));
        foreach (var lease in first)
        {
            pool.Complete(lease, AttemptOutcome.Answered);
        }

        var second = await Task.WhenAll(pins.Reverse().Select(pin => AcquireAsync(pool, batch, pin)));

        Assert.Equal([0, 1, 2], first.Select(static lease => lease.Slot));
        Assert.Equal([2, 1, 0], second.Select(static lease => lease.Slot));
    }

    [Fact]
    public async Task EndedLane_GivesItsSlotToTheNext_AndALaneWithNoSlotLeftGoesUnpinned()
    {
        var pool = Create();
        var batch = new TurnGroup(string.Empty);
        SlotPin[] pins = [new(), new(), new(), new()];
        var leases = new List<EndpointLease>();
        foreach (var pin in pins)
        {
            leases.Add(await AcquireAsync(pool, batch, pin));
        }

        pool.Complete(leases[1], AttemptOutcome.Answered);
        var fifth = new SlotPin();
        var unpinned = await AcquireAsync(pool, batch, fifth);
        pool.Complete(unpinned, AttemptOutcome.Answered);
        pins[1].End();
        var pinned = await AcquireAsync(pool, batch, fifth);

        Assert.Equal(-1, unpinned.Slot);
        Assert.Equal(1, pinned.Slot);
    }

    [Fact]
    public async Task NoSlotIsKept_WhileAnInteractiveRequestIsSeen_NorForAnInteractiveRequest()
    {
        var pool = Create();
        var interactive = await pool.AcquireAsync(null, null, null, new Placement(false, new SlotPin()), CancellationToken.None);

        var batch = await AcquireAsync(pool, new TurnGroup(string.Empty), new SlotPin());

        Assert.Equal((-1, -1), (interactive.Slot, batch.Slot));
    }

    [Fact]
    public async Task NoSlotIsKept_OnAServerWhoseSlotsAreNotKnownFromProps()
    {
        var pool = Create(o => o.MaxConcurrency = 4);

        var lease = await AcquireAsync(pool, new TurnGroup(string.Empty), new SlotPin());

        Assert.Equal(-1, lease.Slot);
    }

    [Fact]
    public async Task NoSlotIsKept_WithSlotPinningOff_TheDefault()
    {
        Assert.False(new LocalBatchOptions().UseSlotPinning);
        var pool = Create(o => o.UseSlotPinning = false);

        var lease = await AcquireAsync(pool, new TurnGroup(string.Empty), new SlotPin());

        Assert.Equal(-1, lease.Slot);
    }

    private EndpointPool Create(Action<LocalBatchOptions>? configure = null)
    {
        var options = new LocalBatchOptions { Endpoint = new Uri("http://a:8080"), BatchPriority = BatchPriority.Foreground, UseSlotPinning = true };
        configure?.Invoke(options);
        _pool = new EndpointPool(options, _time, NullLogger.Instance, LocalBatchMetrics.Shared, _probe);
        return _pool;
    }

    private static Task<EndpointLease> AcquireAsync(EndpointPool pool, TurnGroup group, SlotPin pin) =>
        pool.AcquireAsync(null, null, group, new Placement(false, pin), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}
