namespace LocalBatch.Gateway.Internal;

// The admission point: the one place that decides whether a request may start now, and on which server.
internal sealed partial class EndpointPool
{
    private readonly LinkedList<Waiter> _waiters = new();

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
        foreach (var server in _servers)
        {
            anyUp |= server.IsUp && server.IsKnown;
        }

        if (preferred is not null && _servers[preferred.Index] is { IsKnown: true, HasRoom: true } lane
            && (lane.IsUp || !anyUp) && !(tried?.Contains(preferred) ?? false))
        {
            lane.Take();
            return preferred;
        }

        ServerState? best = null;
        foreach (var server in _servers)
        {
            // A server whose limit is not known yet has none (0): it takes nothing until its look-up ends.
            if ((anyUp && !server.IsUp) || !server.HasRoom || (tried?.Contains(server.Endpoint) ?? false))
            {
                continue;
            }

            // Compared as InUse / Limit without dividing: the emptiest server, the first of equals.
            if (best is null || ((long)server.InUse * best.Limit) < ((long)best.InUse * server.Limit))
            {
                best = server;
            }
        }

        best?.Take();
        return best?.Endpoint;
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
                    _servers[endpoint.Index].Untake();
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
