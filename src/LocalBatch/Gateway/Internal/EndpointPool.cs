using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// The servers of one client and their slots. Every attempt of a generation request takes a slot of a server in the
/// rotation with room (the least loaded for its size) at the one admission point (<see cref="AcquireAsync"/>), so each
/// server is kept full and none is sent more than it takes at once; attempts that find every slot taken wait in one
/// line, first come first served, so that batches running at once take turns. A server that fails leaves the rotation
/// and is probed until it answers again; when every server is out, attempts go to all of them anyway, and the
/// client's retries decide. The pool owns each server's state and asks the servers itself (<see cref="IServerProbe"/>).
/// </summary>
internal sealed partial class EndpointPool : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ServerState[] _servers;
    private readonly LocalBatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LocalBatchMetrics _metrics;
    private readonly IServerProbe _probe;
    private readonly CancellationTokenSource _disposed = new();
    private readonly bool _yields;
    private bool _isDisposed;
    private readonly long _holdDown;
    private readonly long _roomEvery;

    /// <param name="options">The servers and how their concurrency is found.</param>
    /// <param name="time">The clock of latencies and probes.</param>
    /// <param name="logger">Where choices and changes of the rotation are logged.</param>
    /// <param name="metrics">The per-server instruments.</param>
    /// <param name="probe">How the pool asks a server its <c>/props</c> and its <c>/health</c>.</param>
    public EndpointPool(LocalBatchOptions options, TimeProvider time, ILogger logger, LocalBatchMetrics metrics, IServerProbe probe)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _probe = probe;
        _yields = options.BatchPriority == BatchPriority.Background;
        _holdDown = (long)(options.InteractiveHoldDown.TotalSeconds * time.TimestampFrequency);
        _roomEvery = (long)(RoomEvery.TotalSeconds * time.TimestampFrequency);
        var addresses = options.Endpoints is { Count: > 0 } many ? many : [options.Endpoint];
        Endpoints = [.. addresses.Select((address, index) => new ServerEndpoint(address, index))];
        _servers = [.. Endpoints.Select(static endpoint => new ServerState(endpoint))];
    }

    public IReadOnlyList<ServerEndpoint> Endpoints { get; }

    /// <summary>
    /// Finds each server's limit once (again for one whose <c>/props</c> could not be read), and returns the most
    /// requests all of them may take at once: the bound a batch keeps in flight.
    /// </summary>
    public async Task<int> GetConcurrencyAsync(CancellationToken cancellationToken)
    {
        await EnsureCapacityAsync(askAgain: true, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            return Math.Min(LocalBatchOptions.MaxConcurrencyLimit, _servers.Sum(static server => server.Ceiling));
        }
    }

    /// <summary>The first server in the rotation, or the first server when none is: where requests that take no slot go.</summary>
    public ServerEndpoint FirstInRotation()
    {
        lock (_gate)
        {
            return (_servers.FirstOrDefault(static server => server.IsUp) ?? _servers[0]).Endpoint;
        }
    }

    /// <summary>The servers, those in the rotation first.</summary>
    public IReadOnlyList<ServerEndpoint> InRotationFirst()
    {
        lock (_gate)
        {
            return [.. _servers.OrderBy(static server => server.IsUp ? 0 : 1).Select(static server => server.Endpoint)];
        }
    }

    /// <summary>Whether another server than <paramref name="failed"/>, not yet tried by this attempt, is in the rotation.</summary>
    public bool CanFailOver(ServerEndpoint failed, IReadOnlyCollection<ServerEndpoint> tried)
    {
        lock (_gate)
        {
            return _servers.Any(server => server.Endpoint != failed && server.IsUp && !tried.Contains(server.Endpoint));
        }
    }

    /// <summary>Gives the slot back, and learns from how the attempt went: latency, overload, or a failed server.</summary>
    public void Complete(EndpointLease lease, AttemptOutcome outcome)
    {
        var endpoint = lease.Endpoint;
        var rtt = _time.GetElapsedTime(lease.Started);
        bool down, back;
        var group = lease.Group;
        lock (_gate)
        {
            (down, back) = _servers[endpoint.Index].Complete(outcome, batch: group is not null, lease.Marked, rtt, _time.GetUtcNow(), _time.GetTimestamp());
            CountInFlight(group, -1);
            EndBatchWork(group);

            ServeWaiters();
        }

        var answered = outcome is AttemptOutcome.Answered or AttemptOutcome.Refused;
        endpoint.CountRequest();
        _metrics.ServerAttemptEnded(endpoint, group is not null, answered);
        if (!answered)
        {
            endpoint.CountFailure();
        }

        if (down)
        {
            Log.ServerLeftRotation(_logger, endpoint.Display, outcome.ToString());
            StartProbe(_servers[endpoint.Index]);
        }
        else if (back)
        {
            Log.ServerRejoinedRotation(_logger, endpoint.Display);
        }
    }

    /// <summary>
    /// Why no server takes requests now: each server's reason and since when, while every one of them is out of the
    /// rotation; <see langword="null"/> while one is in it.
    /// </summary>
    public IReadOnlyList<(ServerEndpoint Server, AttemptOutcome Reason, DateTimeOffset Since)>? Outage()
    {
        lock (_gate)
        {
            return _servers.Any(static server => server.IsUp)
                ? null
                : [.. _servers.Select(static server => (server.Endpoint, server.Down.Reason, server.Down.Since))];
        }
    }

    /// <summary>Gets each server's figures now.</summary>
    public IReadOnlyList<ServerProgress> Snapshot()
    {
        lock (_gate)
        {
            return [.. _servers.Select(static server => server.ToProgress())];
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _isDisposed, true);
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
