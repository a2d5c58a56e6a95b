using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Gateway;

/// <summary>Routing, waiting, failing over and rejoining, on a fake clock with servers that answer what the test says.</summary>
public sealed class EndpointPoolTests : IDisposable
{
    private static readonly Uri A = new("http://a:8080");
    private static readonly Uri B = new("http://b:8080");
    private readonly FakeTimeProvider _time = new();
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal) { ["a"] = 2, ["b"] = 4 };
    private readonly HashSet<string> _healthy = new(StringComparer.Ordinal) { "a", "b" };
    private readonly List<string> _probes = [];
    private EndpointPool? _pool;

    public void Dispose() => _pool?.Dispose();

    [Fact]
    public async Task AcquireAsync_TwoServers_FillsEachToItsSlotsThenWaitsInLine()
    {
        var pool = Create(A, B);

        var leases = new List<EndpointLease>();
        for (var i = 0; i < 6; i++)
        {
            leases.Add(await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None));
        }

        var waiting = pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None).AsTask();
        Assert.Equal((2, 4), (leases.Count(l => l.Endpoint.Host == "a"), leases.Count(l => l.Endpoint.Host == "b")));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, pool.Waiting);

        pool.Complete(leases.First(l => l.Endpoint.Host == "a"), AttemptOutcome.Answered);

        Assert.Equal("a", (await waiting).Endpoint.Host);
    }

    [Fact]
    public async Task AcquireAsync_SpreadsBySize_TheLeastLoadedForItsSlotsFirst()
    {
        var pool = Create(A, B);

        var hosts = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            hosts.Add((await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None)).Endpoint.Host);
        }

        // a: 0/2, b: 0/4 → a; a: 1/2, b: 0/4 → b; a: 1/2, b: 1/4 → b.
        Assert.Equal(["a", "b", "b"], hosts);
    }

    [Fact]
    public async Task AcquireAsync_CancelledInLine_LeavesTheLineAndThrows()
    {
        _slots["a"] = 1;
        var pool = Create(A);
        var held = await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = pool.AcquireAsync(null, null, null, Placement.None, cts.Token).AsTask();
        var next = pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        pool.Complete(held, AttemptOutcome.Answered);

        Assert.Equal("a", (await next).Endpoint.Host);
        Assert.Equal(0, pool.Waiting);
    }

    [Fact]
    public async Task Complete_Unreachable_TakesTheServerOutAndItsSlotsGoToTheOther()
    {
        var pool = Create(A, B);
        var onA = await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None);
        Assert.Equal("a", onA.Endpoint.Host);

        _healthy.Remove("a");
        pool.Complete(onA, AttemptOutcome.Unreachable);

        Assert.True(pool.CanFailOver(onA.Endpoint, [onA.Endpoint]));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("b", (await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None)).Endpoint.Host);
        }

        Assert.False(pool.Snapshot()[0].InRotation);
    }

    [Fact]
    public async Task Probe_ServerAnswersAgain_ComesBackAfterBackOff()
    {
        var pool = Create(A, B);
        var onA = await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None);
        _healthy.Remove("a");
        pool.Complete(onA, AttemptOutcome.Unreachable);

        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.HoldsAsync(() => _probes.Count == 1);
        Assert.False(pool.Snapshot()[0].InRotation);

        _healthy.Add("a");
        _time.Advance(TimeSpan.FromSeconds(2)); // the pause doubles
        await Eventually.HoldsAsync(() => pool.Snapshot()[0].InRotation);

        Assert.Equal(2, _probes.Count);
        Assert.Equal("a", (await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None)).Endpoint.Host);
    }

    [Fact]
    public async Task Complete_ThreeServerErrorsInARow_TakeTheServerOut()
    {
        var pool = Create(A, B);

        for (var i = 0; i < 2; i++)
        {
            pool.Complete(await AcquireOn("a", pool), AttemptOutcome.ServerError);
        }

        pool.Complete(await AcquireOn("a", pool), AttemptOutcome.Answered);
        Assert.True(pool.Snapshot()[0].InRotation);
        for (var i = 0; i < 3; i++)
        {
            pool.Complete(await AcquireOn("a", pool), AttemptOutcome.ServerError);
        }

        Assert.False(pool.Snapshot()[0].InRotation);
    }

    [Fact]
    public async Task AcquireAsync_EveryServerOut_StillGoesToThem()
    {
        var pool = Create(A, B);
        _healthy.Clear();
        pool.Complete(await AcquireOn("a", pool), AttemptOutcome.Unreachable);
        pool.Complete(await AcquireOn("b", pool), AttemptOutcome.Loading);

        var lease = await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None);

        Assert.False(pool.CanFailOver(lease.Endpoint, [lease.Endpoint]));
        pool.Complete(lease, AttemptOutcome.Answered);
        Assert.True(pool.Snapshot()[lease.Endpoint.Index].InRotation); // it answered: back in the rotation
    }

    [Fact]
    public async Task AcquireAsync_TriedServersSkipped_WaitsForAnotherOne()
    {
        _slots["b"] = 1;
        var pool = Create(A, B);
        var onB = await AcquireOn("b", pool);
        var tried = new List<ServerEndpoint> { pool.Endpoints[0] };

        var elsewhere = pool.AcquireAsync(tried, null, null, Placement.None, CancellationToken.None).AsTask();
        Assert.False(elsewhere.IsCompleted); // a has room, but this attempt has tried it already
        pool.Complete(onB, AttemptOutcome.Answered);

        Assert.Equal("b", (await elsewhere).Endpoint.Host);
    }

    [Fact]
    public async Task GetConcurrencyAsync_SumsEachServersSlots()
    {
        var pool = Create(A, B);

        Assert.Equal(6, await pool.GetConcurrencyAsync(CancellationToken.None));
    }

    private EndpointPool Create(params Uri[] endpoints)
    {
        var options = new LocalBatchOptions { Endpoints = [.. endpoints], RetryBaseDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(8) };
        _pool = new EndpointPool(options, _time, NullLogger.Instance, LocalBatchMetrics.Shared, new FakeProbe(this));
        return _pool;
    }

    /// <summary>Takes slots until one on <paramref name="host"/> comes, giving the others back.</summary>
    private static async Task<EndpointLease> AcquireOn(string host, EndpointPool pool)
    {
        var others = new List<EndpointLease>();
        try
        {
            while (true)
            {
                var lease = await pool.AcquireAsync(null, null, null, Placement.None, CancellationToken.None);
                if (lease.Endpoint.Host == host)
                {
                    return lease;
                }

                others.Add(lease);
            }
        }
        finally
        {
            foreach (var other in others)
            {
                pool.Complete(other, AttemptOutcome.Answered);
            }
        }
    }

    /// <summary>Servers that answer what the test says: their slots, and whether they are healthy (each probe noted).</summary>
    private sealed class FakeProbe(EndpointPoolTests test) : IServerProbe
    {
        public Task<GatewayProps?> ReadPropsAsync(ServerEndpoint server, CancellationToken cancellationToken) =>
            Task.FromResult<GatewayProps?>(new GatewayProps { TotalSlots = test._slots[server.Host] });

        public Task<ServerLoad?> ReadLoadAsync(ServerEndpoint server, LoadSource source, CancellationToken cancellationToken) =>
            Task.FromResult<ServerLoad?>(null);

        public Task<bool> IsReadyAsync(ServerEndpoint server, CancellationToken cancellationToken)
        {
            lock (test._probes)
            {
                test._probes.Add(server.Host);
            }

            return Task.FromResult(test._healthy.Contains(server.Host));
        }
    }
}
