using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// The servers of one client and their slots. Every attempt of a generation request takes a slot of a server in the
/// rotation with room (the least loaded for its size), so each server is kept full and none is sent more than it takes
/// at once; attempts that find every slot taken wait in one line, first come first served, so that batches running at
/// once take turns. A server that fails leaves the rotation and is probed until it answers again; when every server
/// is out, attempts go to all of them anyway, and the client's retries decide.
/// </summary>
internal sealed partial class EndpointPool : IDisposable
{
    private const int ServerErrorsBeforeDown = 3;

    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly LocalBatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LocalBatchMetrics _metrics;
    private readonly Func<ServerEndpoint, CancellationToken, Task<GatewayProps?>> _readProps;
    private readonly Func<ServerEndpoint, CancellationToken, Task<bool>> _isHealthy;
    private readonly CancellationTokenSource _disposed = new();

    /// <param name="options">The servers and how their concurrency is found.</param>
    /// <param name="time">The clock of latencies and probes.</param>
    /// <param name="logger">Where choices and changes of the rotation are logged.</param>
    /// <param name="metrics">The per-server instruments.</param>
    /// <param name="readProps">Reads one server's <c>/props</c> (null when it has none).</param>
    /// <param name="isHealthy">Asks one server's <c>/health</c> once: true when it answers ready.</param>
    public EndpointPool(
        LocalBatchOptions options,
        TimeProvider time,
        ILogger logger,
        LocalBatchMetrics metrics,
        Func<ServerEndpoint, CancellationToken, Task<GatewayProps?>> readProps,
        Func<ServerEndpoint, CancellationToken, Task<bool>> isHealthy)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _readProps = readProps;
        _isHealthy = isHealthy;
        var addresses = options.Endpoints is { Count: > 0 } many ? many : [options.Endpoint];
        Endpoints = [.. addresses.Select((address, index) => new ServerEndpoint(address, index))];
    }

    public IReadOnlyList<ServerEndpoint> Endpoints { get; }

    /// <summary>Gets how many attempts wait for a slot now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>
    /// Finds each server's limit once (again for one whose <c>/props</c> could not be read), and returns the most
    /// requests all of them may take at once: the bound a batch keeps in flight.
    /// </summary>
    public async Task<int> GetConcurrencyAsync(CancellationToken cancellationToken)
    {
        await EnsureCapacityAsync(askAgain: true, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            return Math.Min(LocalBatchOptions.MaxConcurrencyLimit, Endpoints.Sum(static endpoint => endpoint.Ceiling));
        }
    }

    /// <summary>
    /// Waits for a slot of a server in the rotation, skipping the servers this attempt has already tried, and taking
    /// <paramref name="preferred"/> (a lane's server, whose prompt cache holds the lane's shared prefix) when it has room.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting (no slot is held).</exception>
    public async ValueTask<EndpointLease> AcquireAsync(IReadOnlyCollection<ServerEndpoint>? tried, ServerEndpoint? preferred, CancellationToken cancellationToken)
    {
        StartLookUps();
        Waiter waiter;
        lock (_gate)
        {
            if (_waiters.Count == 0 && TryTake(tried, preferred) is { } endpoint)
            {
                return Leased(endpoint);
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new Waiter(this, tried, preferred);
            waiter.Node = _waiters.AddLast(waiter);
        }

        using (cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Pool.Abandon((Waiter)state), waiter))
        {
            return Leased(await waiter.Slot.Task.ConfigureAwait(false));
        }
    }

    /// <summary>The first server in the rotation, or the first server when none is: where requests that take no slot go.</summary>
    public ServerEndpoint FirstInRotation()
    {
        lock (_gate)
        {
            return Endpoints.FirstOrDefault(static endpoint => endpoint.IsUp) ?? Endpoints[0];
        }
    }

    /// <summary>The servers, those in the rotation first.</summary>
    public IReadOnlyList<ServerEndpoint> InRotationFirst()
    {
        lock (_gate)
        {
            return [.. Endpoints.OrderBy(static endpoint => endpoint.IsUp ? 0 : 1)];
        }
    }

    /// <summary>Whether another server than <paramref name="failed"/>, not yet tried by this attempt, is in the rotation.</summary>
    public bool CanFailOver(ServerEndpoint failed, IReadOnlyCollection<ServerEndpoint> tried)
    {
        lock (_gate)
        {
            return Endpoints.Any(endpoint => endpoint != failed && endpoint.IsUp && !tried.Contains(endpoint));
        }
    }

    /// <summary>Gives the slot back, and learns from how the attempt went: latency, overload, or a failed server.</summary>
    public void Complete(EndpointLease lease, AttemptOutcome outcome)
    {
        var endpoint = lease.Endpoint;
        var rtt = _time.GetElapsedTime(lease.Started);
        var down = false;
        var back = false;
        lock (_gate)
        {
            var inFlight = endpoint.InUse;
            endpoint.InUse--;
            switch (outcome)
            {
                case AttemptOutcome.Answered:
                    endpoint.ServerErrorsInARow = 0;
                    if (endpoint.Adaptive?.OnSample(rtt, inFlight) == true)
                    {
                        endpoint.Limit = endpoint.Adaptive.Limit;
                    }

                    break;
                case AttemptOutcome.Refused:
                    endpoint.ServerErrorsInARow = 0;
                    break;
                case AttemptOutcome.Overloaded:
                    if (endpoint.Adaptive?.OnOverload() == true)
                    {
                        endpoint.Limit = endpoint.Adaptive.Limit;
                    }

                    break;
                case AttemptOutcome.ServerError:
                    down = ++endpoint.ServerErrorsInARow >= ServerErrorsBeforeDown && TakeOut(endpoint);
                    break;
                case AttemptOutcome.Loading:
                    endpoint.Adaptive?.OnOverload();
                    down = TakeOut(endpoint);
                    break;
                case AttemptOutcome.Unreachable:
                    down = TakeOut(endpoint);
                    break;
            }

            // A server out of the rotation that answers anyway (when every server was out, attempts went to all) is back.
            back = outcome is AttemptOutcome.Answered or AttemptOutcome.Refused && BackInRotation(endpoint);
            ServeWaiters();
        }

        endpoint.CountRequest();
        _metrics.ServerAttemptEnded(endpoint, outcome is AttemptOutcome.Answered or AttemptOutcome.Refused);
        if (outcome is not (AttemptOutcome.Answered or AttemptOutcome.Refused))
        {
            endpoint.CountFailure();
        }

        if (down)
        {
            Log.ServerLeftRotation(_logger, endpoint.Display, outcome.ToString());
            StartProbe(endpoint);
        }
        else if (back)
        {
            Log.ServerRejoinedRotation(_logger, endpoint.Display);
        }
    }

    /// <summary>Gets each server's figures now.</summary>
    public IReadOnlyList<ServerProgress> Snapshot()
    {
        lock (_gate)
        {
            return [.. Endpoints.Select(static e => new ServerProgress(new Uri(e.Display), e.IsUp, e.InUse, e.Limit, e.Requests, e.Failures))];
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    private EndpointLease Leased(ServerEndpoint endpoint)
    {
        _metrics.ServerAttemptStarted(endpoint);
        return new EndpointLease(endpoint, _time.GetTimestamp());
    }

    /// <summary>
    /// The server in the rotation with room whose slots are least used (for its size), not tried yet by the attempt;
    /// when no server is in the rotation, any server with room. Takes its slot (pool lock held).
    /// </summary>
    private ServerEndpoint? TryTake(IReadOnlyCollection<ServerEndpoint>? tried, ServerEndpoint? preferred)
    {
        var anyUp = false;
        foreach (var endpoint in Endpoints)
        {
            anyUp |= endpoint.IsUp && endpoint.Source != CapacitySource.Unknown;
        }

        if (preferred is not null && (preferred.IsUp || !anyUp) && preferred.Source != CapacitySource.Unknown
            && preferred.InUse < preferred.Limit && !(tried?.Contains(preferred) ?? false))
        {
            preferred.InUse++;
            return preferred;
        }

        ServerEndpoint? best = null;
        foreach (var endpoint in Endpoints)
        {
            // A server whose limit is not known yet has none (0): it takes nothing until its look-up ends.
            if ((anyUp && !endpoint.IsUp) || endpoint.InUse >= endpoint.Limit || (tried?.Contains(endpoint) ?? false))
            {
                continue;
            }

            // Compared as InUse / Limit without dividing: the emptiest server, the first of equals.
            if (best is null || ((long)endpoint.InUse * best.Limit) < ((long)best.InUse * endpoint.Limit))
            {
                best = endpoint;
            }
        }

        if (best is not null)
        {
            best.InUse++;
        }

        return best;
    }

    /// <summary>Hands free slots to the waiters in line, in order; one that only an untried server would do keeps its place (pool lock held).</summary>
    private void ServeWaiters()
    {
        for (var node = _waiters.First; node is not null;)
        {
            var next = node.Next;
            if (TryTake(node.Value.Tried, node.Value.Preferred) is { } endpoint)
            {
                _waiters.Remove(node);
                if (!node.Value.Slot.TrySetResult(endpoint))
                {
                    endpoint.InUse--;
                }
            }

            node = next;
        }
    }

    private void Abandon(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is not null)
            {
                _waiters.Remove(waiter.Node);
                waiter.Slot.TrySetCanceled();
            }
        }
    }

    /// <summary>Takes a server out of the rotation (pool lock held); false when it was out already.</summary>
    private static bool TakeOut(ServerEndpoint endpoint)
    {
        if (!endpoint.IsUp)
        {
            return false;
        }

        endpoint.IsUp = false;
        endpoint.ServerErrorsInARow = 0;
        return true;
    }

    /// <summary>A waiting attempt: the servers it has tried already, and the slot it is given.</summary>
    private sealed class Waiter(EndpointPool pool, IReadOnlyCollection<ServerEndpoint>? tried, ServerEndpoint? preferred)
    {
        public EndpointPool Pool { get; } = pool;

        public ServerEndpoint? Preferred { get; } = preferred;

        public IReadOnlyCollection<ServerEndpoint>? Tried { get; } = tried;

        public TaskCompletionSource<ServerEndpoint> Slot { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
