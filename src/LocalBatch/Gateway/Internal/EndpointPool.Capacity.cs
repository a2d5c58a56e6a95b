using LocalBatch.Internal;

namespace LocalBatch.Gateway.Internal;

// How many requests each server takes, and how a server that left the rotation comes back.
internal sealed partial class EndpointPool
{
    /// <summary>
    /// Waits until the limit of every server not looked up yet (and, with <paramref name="askAgain"/>, of every server in
    /// the rotation whose <c>/props</c> did not answer before) is known.
    /// </summary>
    private async Task EnsureCapacityAsync(bool askAgain, CancellationToken cancellationToken)
    {
        List<Task> lookUps = [];
        lock (_gate)
        {
            foreach (var server in _servers)
            {
                if (StartLookUp(server, askAgain) is { IsCompleted: false } lookUp)
                {
                    lookUps.Add(lookUp);
                }
            }
        }

        if (lookUps.Count > 0)
        {
            await Task.WhenAll(lookUps).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts looking up the limit of every server that has none yet, without waiting: until its look-up ends, a server
    /// takes no request, and the first server known serves the line.
    /// </summary>
    private void StartLookUps()
    {
        lock (_gate)
        {
            foreach (var server in _servers)
            {
                StartLookUp(server, askAgain: false);
            }
        }
    }

    /// <summary>The look-up of one server's limit, started when it is needed and none runs (pool lock held).</summary>
    private Task? StartLookUp(ServerState server, bool askAgain)
    {
        var needed = !server.IsKnown || (askAgain && server.PropsPending && server.IsUp);
        if (!needed)
        {
            return null;
        }

        if (server.LookUp is not { IsCompleted: false })
        {
            // One look-up at a time for a server, shared by every caller; a caller that gives up does not stop it.
            server.LookUp = ResolveAsync(server);
        }

        return server.LookUp;
    }

    /// <summary>
    /// One server's limit: <see cref="LocalBatchOptions.MaxConcurrency"/> when set; else latency-based when asked for;
    /// else <c>total_slots</c> from its <c>/props</c> (asked once, without retries); else latency-based. A server whose
    /// <c>/props</c> did not answer at all leaves the rotation until its <c>/health</c> does, and is asked again then.
    /// </summary>
    private async Task ResolveAsync(ServerState server)
    {
        var endpoint = server.Endpoint;
        if (_options.MaxConcurrency > 0)
        {
            SetCapacity(server, CapacitySource.Fixed, _options.MaxConcurrency, "LocalBatchOptions.MaxConcurrency");
            return;
        }

        if (_options.UseAdaptiveConcurrency)
        {
            SetCapacity(server, CapacitySource.Adaptive, 0, "adaptive, as asked");
            return;
        }

        try
        {
            var props = await _probe.ReadPropsAsync(endpoint, _disposed.Token).ConfigureAwait(false);
            if (props is { TotalSlots: > 0 })
            {
                SetCapacity(server, CapacitySource.Props, props.TotalSlots, "total_slots from /props");
            }
            else
            {
                SetCapacity(server, CapacitySource.Adaptive, 0, "adaptive: the server has no /props");
            }
        }
        catch (LocalGatewayException ex) when (ex.Kind == GatewayErrorKind.Request)
        {
            SetCapacity(server, CapacitySource.Adaptive, 0, $"adaptive: /props refused ({ex.StatusCode})");
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // The client is being disposed.
        }
        catch (Exception ex) when (ex is not (LocalGatewayException or OperationCanceledException))
        {
            // Whatever else a handler between the client and the server throws: latency decides, as without /props.
            SetCapacity(server, CapacitySource.Adaptive, 0, $"adaptive: /props could not be read ({ex.GetType().Name})");
        }
        catch (Exception ex)
        {
            // Down from the start: out of the rotation (while others are in it) until it answers again.
            SetCapacity(server, CapacitySource.Adaptive, 0, "adaptive for now: /props did not answer; asked again when it does", propsPending: true);
            Log.ConcurrencyFallback(_logger, endpoint.Display, ex.Message);
            bool down;
            lock (_gate)
            {
                down = server.TakeOut(AttemptOutcome.Unreachable, _time.GetUtcNow());
            }

            if (down)
            {
                StartProbe(server);
            }
        }
    }

    private void SetCapacity(ServerState server, CapacitySource source, int slots, string why, bool propsPending = false)
    {
        int limit;
        lock (_gate)
        {
            limit = server.SetCapacity(source, slots, _options.MaxAdaptiveConcurrency, propsPending);
            ServeWaiters();
        }

        Log.ConcurrencyChosen(_logger, server.Endpoint.Display, source == CapacitySource.Adaptive ? limit : slots, why);
    }

    /// <summary>Starts probing a server that left the rotation, unless a probe runs already.</summary>
    private void StartProbe(ServerState server)
    {
        lock (_gate)
        {
            if (server.Probe is { IsCompleted: false } || _disposed.IsCancellationRequested)
            {
                return;
            }

            server.Probe = ProbeAsync(server);
        }
    }

    /// <summary>
    /// Asks the server's <c>/health</c> with growing pauses (the retry delays of the options) until it answers ready,
    /// then puts it back in the rotation. An attempt that succeeds on it meanwhile (when every server is out) does too.
    /// </summary>
    private async Task ProbeAsync(ServerState server)
    {
        var delay = _options.RetryBaseDelay;
        try
        {
            while (true)
            {
                await Task.Delay(delay, _time, _disposed.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    if (server.IsUp)
                    {
                        return;
                    }
                }

                bool healthy;
                try
                {
                    healthy = await _probe.IsReadyAsync(server.Endpoint, _disposed.Token).ConfigureAwait(false);
                }
                catch (Exception) when (!_disposed.IsCancellationRequested)
                {
                    // Not ready, whatever it threw (a handler between the client and the server throws its own): the
                    // probe runs in the background, where nobody would observe its failure.
                    healthy = false;
                }

                if (healthy)
                {
                    BringBack(server);
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // The client is being disposed.
        }
    }

    /// <summary>Puts a server back in the rotation (its /props asked again if it never answered it) and serves the line.</summary>
    private void BringBack(ServerState server)
    {
        bool askProps;
        lock (_gate)
        {
            if (!server.BringBack())
            {
                return;
            }

            ServeWaiters();
            askProps = server.PropsPending;
        }

        Log.ServerRejoinedRotation(_logger, server.Endpoint.Display);
        if (askProps)
        {
            _ = ResolveAsync(server);
        }
    }
}
