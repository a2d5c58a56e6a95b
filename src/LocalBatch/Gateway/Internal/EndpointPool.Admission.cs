namespace LocalBatch.Gateway.Internal;

// The admission point: the one place that decides whether a request may start now, and on which server.
internal sealed partial class EndpointPool
{
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly Dictionary<string, int> _ownerInFlight = new(StringComparer.Ordinal);
    private int _interactiveWaiting;
    private int _batchWork;

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
    /// Waits for a slot of a server in the rotation, skipping the servers this attempt has already tried, and taking
    /// <paramref name="preferred"/> (a lane's server, whose prompt cache holds the lane's shared prefix) when it has room.
    /// Every generation attempt of every batch, processor call and queue on the client starts here and nowhere else.
    /// The lease says whether the request is to carry this client's mark (<see cref="EndpointLease.Marked"/>) and the
    /// slot it is pinned to (<see cref="EndpointLease.Slot"/>), as far as its body allows (<paramref name="placement"/>).
    /// </summary>
    /// <remarks>
    /// An interactive request (<paramref name="group"/> <see langword="null"/>) is served before any batch request
    /// waiting. A batch request starts only within what the reserve for interactive requests leaves (with
    /// <see cref="BatchPriority.Background"/>), and batches take turns: a free slot goes to the owner, then the group,
    /// with the fewest requests in flight, the first come among equals.
    /// </remarks>
    /// <exception cref="OperationCanceledException">Cancelled while waiting (no slot is held).</exception>
    public async ValueTask<EndpointLease> AcquireAsync(IReadOnlyCollection<ServerEndpoint>? tried, ServerEndpoint? preferred, TurnGroup? group, Placement placement, CancellationToken cancellationToken)
    {
        StartLookUps();
        Waiter waiter;
        lock (_gate)
        {
            if (Yields(group))
            {
                _batchWork++;
                StartSensing();
            }

            var now = _time.GetTimestamp();
            var nobodyFirst = group is null ? _interactiveWaiting == 0 : _waiters.Count == 0;
            if (nobodyFirst && TryTake(tried, preferred, group, placement, now) is { } taken)
            {
                return Started(taken, now);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                EndBatchWork(group);
                cancellationToken.ThrowIfCancellationRequested();
            }

            waiter = new Waiter(this, tried, preferred, group, placement);
            waiter.Node = _waiters.AddLast(waiter);
            _interactiveWaiting += group is null ? 1 : 0;
        }

        using (cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Pool.Abandon((Waiter)state), waiter))
        {
            return Started(await waiter.Slot.Task.ConfigureAwait(false), _time.GetTimestamp());
        }
    }

    /// <summary>The attempt on a slot it was given starts now: its latency is counted from here.</summary>
    private EndpointLease Started(EndpointLease lease, long now)
    {
        _metrics.ServerAttemptStarted(lease.Endpoint, batch: lease.Group is not null);
        return lease with { Started = now };
    }

    /// <summary>
    /// The server for a request, or <see langword="null"/> when none takes it now: <paramref name="preferred"/> when it
    /// has room, else the server in the rotation with room whose slots are least used (counting interactive requests
    /// it runs that this client did not send), not tried yet by the attempt; when no server is in the rotation, any
    /// server with room. A batch request has room only within what the server's reserve leaves (pool lock held).
    /// </summary>
    private ServerState? FindServer(IReadOnlyCollection<ServerEndpoint>? tried, ServerEndpoint? preferred, bool background)
    {
        var anyUp = false;
        foreach (var server in _servers)
        {
            anyUp |= server.IsUp && server.IsKnown;
        }

        if (preferred is not null && _servers[preferred.Index] is { IsKnown: true } lane && lane.HasRoomFor(background)
            && (lane.IsUp || !anyUp) && !(tried?.Contains(preferred) ?? false))
        {
            return lane;
        }

        ServerState? best = null;
        foreach (var server in _servers)
        {
            // A server whose limit is not known yet has none (0): it takes nothing until its look-up ends.
            if ((anyUp && !server.IsUp) || !server.HasRoomFor(background) || (tried?.Contains(server.Endpoint) ?? false))
            {
                continue;
            }

            // Compared as Busy / Limit without dividing: the emptiest server, the first of equals.
            if (best is null || ((long)server.Busy * best.Limit) < ((long)best.Busy * server.Limit))
            {
                best = server;
            }
        }

        return best;
    }

    /// <summary>Takes a slot for a request, counted for its group and owner (pool lock held).</summary>
    private EndpointLease? TryTake(IReadOnlyCollection<ServerEndpoint>? tried, ServerEndpoint? preferred, TurnGroup? group, Placement placement, long now)
    {
        RefreshReserves(now);
        return FindServer(tried, preferred, Yields(group)) is { } server ? Take(server, group, placement, now) : null;
    }

    /// <summary>
    /// Takes a slot of <paramref name="server"/>: the lease says whether the request is to carry the mark, and the slot it
    /// is pinned to (negative for none) (pool lock held).
    /// </summary>
    private EndpointLease Take(ServerState server, TurnGroup? group, Placement placement, long now)
    {
        var marked = server.Marks(Yields(group), placement.Markable);
        var slot = group is not null && placement.Pin is { } pin ? PinFor(server, pin) : -1;
        server.Take(batch: group is not null, marked, now);
        CountInFlight(group, 1);
        return new EndpointLease(server.Endpoint, now, group, marked, slot);
    }

    /// <summary>Gives back a slot taken for a waiter that had gone (pool lock held).</summary>
    private void Untake(EndpointLease lease)
    {
        _servers[lease.Endpoint.Index].Untake(batch: lease.Group is not null, lease.Marked);
        CountInFlight(lease.Group, -1);
        EndBatchWork(lease.Group);
    }

    /// <summary>Counts a request of <paramref name="group"/> taking a slot (1) or giving it back (-1), for its turns (pool lock held).</summary>
    private void CountInFlight(TurnGroup? group, int delta)
    {
        if (group is null)
        {
            return;
        }

        group.InFlight += delta;
        var count = _ownerInFlight.GetValueOrDefault(group.Owner) + delta;
        if (count == 0)
        {
            _ownerInFlight.Remove(group.Owner);
        }
        else
        {
            _ownerInFlight[group.Owner] = count;
        }
    }

    /// <summary>Whether a request of <paramref name="group"/> is batch work that yields slots to interactive requests.</summary>
    private bool Yields(TurnGroup? group) => group is not null && _yields;

    /// <summary>Ends a request counted as batch work that keeps the look at the servers going, if it was one (pool lock held).</summary>
    private void EndBatchWork(TurnGroup? group) => _batchWork -= Yields(group) ? 1 : 0;

    /// <summary>
    /// Hands free slots to the waiters: interactive requests first, in order; then batch requests, the owner and then
    /// the group with the fewest requests in flight first, in order among equals. A waiter that only an untried server
    /// would do keeps its place (pool lock held).
    /// </summary>
    private void ServeWaiters()
    {
        var now = _time.GetTimestamp();
        RefreshReserves(now);
        if (_waiters.Count == 0)
        {
            return;
        }

        while (true)
        {
            Waiter? chosen = null;
            ServerState? server = null;
            for (var node = _waiters.First; node is not null; node = node.Next)
            {
                var waiter = node.Value;
                if (chosen is not null && !GoesBefore(waiter, chosen))
                {
                    continue;
                }

                if (FindServer(waiter.Tried, waiter.Preferred, Yields(waiter.Group)) is { } found)
                {
                    (chosen, server) = (waiter, found);
                }
            }

            if (chosen is null)
            {
                return;
            }

            _waiters.Remove(chosen.Node!);
            _interactiveWaiting -= chosen.Group is null ? 1 : 0;
            var lease = Take(server!, chosen.Group, chosen.Placement, now);
            if (!chosen.Slot.TrySetResult(lease))
            {
                Untake(lease);
            }
        }
    }

    /// <summary>Whether <paramref name="waiter"/> is to be served before <paramref name="chosen"/>, which waited longer.</summary>
    private bool GoesBefore(Waiter waiter, Waiter chosen)
    {
        if (waiter.Group is not { } group || chosen.Group is not { } other)
        {
            // Interactive before batch; among interactive requests, the first come.
            return waiter.Group is null && chosen.Group is not null;
        }

        var owner = _ownerInFlight.GetValueOrDefault(group.Owner);
        var otherOwner = _ownerInFlight.GetValueOrDefault(other.Owner);
        return owner != otherOwner ? owner < otherOwner : group.InFlight < other.InFlight;
    }

    private void Abandon(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is not null)
            {
                _waiters.Remove(waiter.Node);
                _interactiveWaiting -= waiter.Group is null ? 1 : 0;
                EndBatchWork(waiter.Group);
                waiter.Slot.TrySetCanceled();
            }
        }
    }

    /// <summary>A waiting attempt: the servers it has tried already, the server it prefers, its group, what its body can carry, and the slot it is given.</summary>
    private sealed class Waiter(EndpointPool pool, IReadOnlyCollection<ServerEndpoint>? tried, ServerEndpoint? preferred, TurnGroup? group, Placement placement)
    {
        public EndpointPool Pool { get; } = pool;

        public ServerEndpoint? Preferred { get; } = preferred;

        public IReadOnlyCollection<ServerEndpoint>? Tried { get; } = tried;

        public TurnGroup? Group { get; } = group;

        public Placement Placement { get; } = placement;

        public TaskCompletionSource<EndpointLease> Slot { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
