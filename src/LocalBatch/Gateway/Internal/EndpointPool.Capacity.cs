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
            foreach (var endpoint in Endpoints)
            {
                if (StartLookUp(endpoint, askAgain) is { IsCompleted: false } lookUp)
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
            foreach (var endpoint in Endpoints)
            {
                StartLookUp(endpoint, askAgain: false);
            }
        }
    }

    /// <summary>The look-up of one server's limit, started when it is needed and none runs (pool lock held).</summary>
    private Task? StartLookUp(ServerEndpoint endpoint, bool askAgain)
    {
        var needed = endpoint.Source == CapacitySource.Unknown || (askAgain && endpoint.PropsPending && endpoint.IsUp);
        if (!needed)
        {
            return null;
        }

        if (endpoint.LookUp is not { IsCompleted: false })
        {
            // One look-up at a time for a server, shared by every caller; a caller that gives up does not stop it.
            endpoint.LookUp = ResolveAsync(endpoint);
        }

        return endpoint.LookUp;
    }

    /// <summary>
    /// One server's limit: <see cref="LocalBatchOptions.MaxConcurrency"/> when set; else latency-based when asked for;
    /// else <c>total_slots</c> from its <c>/props</c> (asked once, without retries); else latency-based. A server whose
    /// <c>/props</c> did not answer at all leaves the rotation until its <c>/health</c> does, and is asked again then.
    /// </summary>
    private async Task ResolveAsync(ServerEndpoint endpoint)
    {
        if (_options.MaxConcurrency > 0)
        {
            SetCapacity(endpoint, CapacitySource.Fixed, _options.MaxConcurrency, "LocalBatchOptions.MaxConcurrency");
            return;
        }

        if (_options.UseAdaptiveConcurrency)
        {
            SetCapacity(endpoint, CapacitySource.Adaptive, 0, "adaptive, as asked");
            return;
        }

        try
        {
            var props = await _readProps(endpoint, _disposed.Token).ConfigureAwait(false);
            if (props is { TotalSlots: > 0 })
            {
                SetCapacity(endpoint, CapacitySource.Props, props.TotalSlots, "total_slots from /props");
            }
            else
            {
                SetCapacity(endpoint, CapacitySource.Adaptive, 0, "adaptive: the server has no /props");
            }
        }
        catch (LocalGatewayException ex) when (ex.Kind == GatewayErrorKind.Request)
        {
            SetCapacity(endpoint, CapacitySource.Adaptive, 0, $"adaptive: /props refused ({ex.StatusCode})");
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // The client is being disposed.
        }
        catch (Exception ex) when (ex is not (LocalGatewayException or OperationCanceledException))
        {
            // Whatever else a handler between the client and the server throws: latency decides, as without /props.
            SetCapacity(endpoint, CapacitySource.Adaptive, 0, $"adaptive: /props could not be read ({ex.GetType().Name})");
        }
        catch (Exception ex)
        {
            // Down from the start: out of the rotation (while others are in it) until it answers again.
            SetCapacity(endpoint, CapacitySource.Adaptive, 0, "adaptive for now: /props did not answer; asked again when it does", propsPending: true);
            Log.ConcurrencyFallback(_logger, endpoint.Display, ex.Message);
            bool down;
            lock (_gate)
            {
                down = TakeOut(endpoint);
            }

            if (down)
            {
                StartProbe(endpoint);
            }
        }
    }

    private void SetCapacity(ServerEndpoint endpoint, CapacitySource source, int slots, string why, bool propsPending = false)
    {
        lock (_gate)
        {
            if (source == CapacitySource.Adaptive)
            {
                // A server already found adaptive keeps what it learned when only its /props is asked again.
                endpoint.Adaptive ??= new AdaptiveLimit(AdaptiveLimit.Initial, _options.MaxAdaptiveConcurrency);
                endpoint.Limit = endpoint.Adaptive.Limit;
                endpoint.Ceiling = _options.MaxAdaptiveConcurrency;
            }
            else
            {
                endpoint.Adaptive = null;
                endpoint.Limit = endpoint.Ceiling = Math.Min(slots, LocalBatchOptions.MaxConcurrencyLimit);
            }

            endpoint.Source = source;
            endpoint.PropsPending = propsPending;
            ServeWaiters();
        }

        Log.ConcurrencyChosen(_logger, endpoint.Display, source == CapacitySource.Adaptive ? endpoint.Limit : slots, why);
    }

    /// <summary>Starts probing a server that left the rotation, unless a probe runs already.</summary>
    private void StartProbe(ServerEndpoint endpoint)
    {
        lock (_gate)
        {
            if (endpoint.Probe is { IsCompleted: false } || _disposed.IsCancellationRequested)
            {
                return;
            }

            endpoint.Probe = ProbeAsync(endpoint);
        }
    }

    /// <summary>
    /// Asks the server's <c>/health</c> with growing pauses (the retry delays of the options) until it answers ready,
    /// then puts it back in the rotation. An attempt that succeeds on it meanwhile (when every server is out) does too.
    /// </summary>
    private async Task ProbeAsync(ServerEndpoint endpoint)
    {
        var delay = _options.RetryBaseDelay;
        try
        {
            while (true)
            {
                await Task.Delay(delay, _time, _disposed.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    if (endpoint.IsUp)
                    {
                        return;
                    }
                }

                bool healthy;
                try
                {
                    healthy = await _isHealthy(endpoint, _disposed.Token).ConfigureAwait(false);
                }
                catch (Exception) when (!_disposed.IsCancellationRequested)
                {
                    // Not ready, whatever it threw (a handler between the client and the server throws its own): the
                    // probe runs in the background, where nobody would observe its failure.
                    healthy = false;
                }

                if (healthy)
                {
                    BringBack(endpoint);
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
    private void BringBack(ServerEndpoint endpoint)
    {
        bool askProps;
        lock (_gate)
        {
            if (!BackInRotation(endpoint))
            {
                return;
            }

            askProps = endpoint.PropsPending;
        }

        Log.ServerRejoinedRotation(_logger, endpoint.Display);
        if (askProps)
        {
            _ = ResolveAsync(endpoint);
        }
    }

    /// <summary>Puts a server back in the rotation (pool lock held); false when it was in it already.</summary>
    private bool BackInRotation(ServerEndpoint endpoint)
    {
        if (endpoint.IsUp)
        {
            return false;
        }

        endpoint.IsUp = true;
        endpoint.ServerErrorsInARow = 0;
        ServeWaiters();
        return true;
    }
}
