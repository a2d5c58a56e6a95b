using LocalBatch.Internal;

namespace LocalBatch.Gateway.Internal;

// Batches as background work: the reserve of slots left to interactive requests, and the look at each server that
// finds the requests of clients this one does not know of.
internal sealed partial class EndpointPool
{
    /// <summary>
    /// How often each server's load is read while batch requests run or wait: ten times a second, so that a chat of a
    /// few tens of milliseconds is seen within the hold-down (a look costs llama-server a couple of milliseconds).
    /// </summary>
    public static readonly TimeSpan LookInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a server that this client's batches fill is given a free slot for a look (see <see cref="ServerState.ReadLoad"/>).</summary>
    public static readonly TimeSpan RoomEvery = TimeSpan.FromSeconds(2);

    /// <summary>How many looks see the slot left free each <see cref="RoomEvery"/> before batch requests may take it again.</summary>
    public const int RoomLooks = 2;

    private Task? _sensing;
    private long _looksRead;

    /// <summary>Gets how many looks at the servers' load the pool has read so far (for tests: the signal that one was).</summary>
    public long LooksRead => Interlocked.Read(ref _looksRead);

    /// <summary>
    /// Counts a request that another component sends to <paramref name="server"/> for someone waiting (the proxy of
    /// <c>localbatch serve</c>): interactive traffic, for which batches leave slots free until it ends and the hold-down passes.
    /// </summary>
    /// <returns>The end of the request: dispose it once its answer is sent.</returns>
    public IDisposable BeginProxied(ServerEndpoint server)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _servers[server.Index].CountProxied(1, now);
            RefreshReserves(now);
        }

        return new ProxiedRequest(this, server);
    }

    private void EndProxied(ServerEndpoint server)
    {
        lock (_gate)
        {
            // Serving the waiters works the reserves out again first.
            _servers[server.Index].CountProxied(-1, _time.GetTimestamp());
            ServeWaiters();
        }
    }

    /// <summary>
    /// Starts looking at the servers' load, unless it runs already (pool lock held). Its first wait starts here, before
    /// the request that needed it is admitted.
    /// </summary>
    private void StartSensing() => _sensing ??= SenseAsync();

    /// <summary>
    /// While batch requests run or wait, reads each server's load every <see cref="LookInterval"/>, and works the
    /// reserves out again (a hold-down that passed gives slots back to the batches waiting).
    /// </summary>
    private async Task SenseAsync()
    {
        try
        {
            List<ServerState> looked = [];
            List<ServerLoad?> loads = [];
            while (true)
            {
                await Task.Delay(LookInterval, _time, _disposed.Token).ConfigureAwait(false);
                looked.Clear();
                loads.Clear();
                lock (_gate)
                {
                    if (_batchWork == 0)
                    {
                        _sensing = null;
                        RefreshReserves(_time.GetTimestamp());
                        return;
                    }

                    foreach (var server in _servers)
                    {
                        if (server is { IsKnown: true, IsUp: true } && server.Sensing.Source != LoadSource.None)
                        {
                            server.Sensing.MarkLook();
                            looked.Add(server);
                        }
                    }
                }

                foreach (var server in looked)
                {
                    loads.Add(await LookAsync(server).ConfigureAwait(false));
                }

                lock (_gate)
                {
                    var now = _time.GetTimestamp();
                    for (var i = 0; i < looked.Count; i++)
                    {
                        if (loads[i] is { } load)
                        {
                            looked[i].ReadLoad(load, now, _roomEvery);
                        }
                        else
                        {
                            looked[i].ForgetForeign();
                        }
                    }

                    ServeWaiters();
                    Interlocked.Increment(ref _looksRead);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && Volatile.Read(ref _isDisposed))
        {
            // The client was disposed.
        }
    }

    /// <summary>
    /// Reads one server's load: from <c>/slots</c>, else (when it is off) from <c>/metrics</c>, else from neither for
    /// good, said once. A failed read counts nothing this time and keeps the source.
    /// </summary>
    private async Task<ServerLoad?> LookAsync(ServerState server)
    {
        var sensing = server.Sensing;
        try
        {
            if (sensing.Source is LoadSource.Unknown or LoadSource.Slots
                && await _probe.ReadLoadAsync(server.Endpoint, LoadSource.Slots, _disposed.Token).ConfigureAwait(false) is { } slots)
            {
                sensing.Source = LoadSource.Slots;
                return slots;
            }

            if (await _probe.ReadLoadAsync(server.Endpoint, LoadSource.Metrics, _disposed.Token).ConfigureAwait(false) is { } metrics)
            {
                sensing.Source = LoadSource.Metrics;
                return metrics;
            }

            sensing.Source = LoadSource.None;
            Log.LoadNotVisible(_logger, server.Endpoint.Display);
            return null;
        }
        catch (LocalGatewayException)
        {
            return null;
        }
    }

    /// <summary>Works out every server's reserve again; says when batches start and stop yielding slots (pool lock held).</summary>
    private void RefreshReserves(long now)
    {
        if (!_yields)
        {
            return;
        }

        foreach (var server in _servers)
        {
            var before = server.RefreshReserve(now, _holdDown);
            if (server.Reserved != before)
            {
                _metrics.SlotsReservedChanged(server.Endpoint, server.Reserved - before);
                if (before == 0)
                {
                    Log.YieldingStarted(_logger, server.Endpoint.Display, server.Reserved, server.Limit);
                }
                else if (server.Reserved == 0)
                {
                    Log.YieldingStopped(_logger, server.Endpoint.Display, _options.InteractiveHoldDown.TotalSeconds);
                }
            }

            var interactive = server.Interactive;
            if (interactive != server.Sensing.ReportedInteractive)
            {
                _metrics.InteractiveChanged(server.Endpoint, interactive - server.Sensing.ReportedInteractive);
                server.Sensing.ReportedInteractive = interactive;
            }
        }
    }

    /// <summary>A request counted by <see cref="BeginProxied"/>, ended once.</summary>
    private sealed class ProxiedRequest(EndpointPool pool, ServerEndpoint server) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                pool.EndProxied(server);
            }
        }
    }
}
