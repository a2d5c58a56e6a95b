using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LocalBatch.Testing.Internal;

namespace LocalBatch.Testing;

/// <summary>
/// Live counters of a <see cref="SimulatedGateway"/>. All members are thread-safe; the values are read
/// without locking, so two properties read one after the other may reflect different moments.
/// </summary>
/// <remarks>
/// A request leaves <see cref="InFlight"/>, and is counted in <see cref="SucceededRequests"/> and the token counters,
/// once its response has been written, which may be after the client has read it. To assert them once the responses
/// have arrived, first await <see cref="SimulatedGateway.WaitForIdleAsync"/>.
/// </remarks>
public sealed class SimulatedGatewayCounters
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _perPath = new(StringComparer.Ordinal);
    private readonly long[] _faultsByKind = new long[Enum.GetValues<SimulatedFaultKind>().Length];
    private readonly ConditionWaiters _waiters;
    private readonly long[] _slotRequests;
    private readonly long[] _slotWorkTicks;
    private long _totalRequests;
    private int _inFlight;
    private int _handling;
    private int _peakInFlight;
    private int _activeSlots;
    private int _peakActiveSlots;
    private long _faultsInjected;
    private long _succeededRequests;
    private long _promptTokens;
    private long _completionTokens;
    private long _cachedPromptTokens;
    private long _slotWorkTicksTotal;

    internal SimulatedGatewayCounters(ConditionWaiters waiters, int slots)
    {
        _waiters = waiters;
        _slotRequests = new long[slots];
        _slotWorkTicks = new long[slots];
    }

    /// <summary>
    /// Gets the number of HTTP requests received, on every route, counted on arrival.
    /// </summary>
    public long TotalRequests => Volatile.Read(ref _totalRequests);

    /// <summary>
    /// Gets the number of generation requests (completions, chat completions, embeddings) being handled now,
    /// from their arrival (before waiting for a slot) to the end of their response (see
    /// <see cref="SimulatedGateway.WaitForIdleAsync"/>).
    /// </summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Gets the largest <see cref="InFlight"/> seen: the concurrency a client actually used.
    /// </summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>
    /// Gets the largest number of slots busy at once; never more than <see cref="SimulatedGatewayOptions.Slots"/>.
    /// </summary>
    public int PeakActiveSlots => Volatile.Read(ref _peakActiveSlots);

    /// <summary>
    /// Gets the number of faults injected, whether scripted, selected or random.
    /// </summary>
    public long FaultsInjected => Volatile.Read(ref _faultsInjected);

    /// <summary>
    /// Gets the number of faults of one kind injected, whether scripted, selected or random.
    /// </summary>
    /// <param name="kind">The kind of fault.</param>
    /// <returns>The number of faults of <paramref name="kind"/> injected; 0 if none.</returns>
    public long GetFaults(SimulatedFaultKind kind) =>
        (uint)kind < (uint)_faultsByKind.Length ? Volatile.Read(ref _faultsByKind[(int)kind]) : 0;

    /// <summary>
    /// Gets the number of 2xx answers sent completely, on every route. A
    /// <see cref="SimulatedFaultKind.TruncatedBody"/> answer is not counted; a
    /// <see cref="SimulatedFaultKind.SlowResponse"/> answer is.
    /// </summary>
    public long SucceededRequests => Volatile.Read(ref _succeededRequests);

    /// <summary>
    /// Gets the prompt tokens of all successful completions, chat completions and embeddings.
    /// </summary>
    public long PromptTokens => Volatile.Read(ref _promptTokens);

    /// <summary>
    /// Gets the completion tokens of all successful completions and chat completions.
    /// </summary>
    public long CompletionTokens => Volatile.Read(ref _completionTokens);

    /// <summary>
    /// Gets the prompt tokens of all successful completions and chat completions that were reused from a slot's
    /// cached prompt (their <c>cached_tokens</c>); always 0 unless <see cref="SimulatedGatewayOptions.PromptCache"/>
    /// is set. Divided by <see cref="PromptTokens"/>, it gives the prompt cache's hit ratio.
    /// </summary>
    public long CachedPromptTokens => Volatile.Read(ref _cachedPromptTokens);

    /// <summary>
    /// Gets the simulated work of all slots: for every generation request that took a slot, the time it was
    /// modelled to take, <see cref="SimulatedGatewayOptions.Latency"/> plus
    /// <see cref="SimulatedGatewayOptions.LatencyPerPromptToken"/> for each prompt token not reused from the cache
    /// and <see cref="SimulatedGatewayOptions.LatencyPerToken"/> for each completion token (embeddings:
    /// <see cref="SimulatedGatewayOptions.EmbeddingLatencyPerInput"/> for each input), counted when it takes the
    /// slot. Pauses, <see cref="SimulatedFaultKind.SlowResponse"/> delays and the time spent sending the answer are
    /// not included. Computed, not measured, so tests and benchmarks may compare it exactly.
    /// </summary>
    public TimeSpan SlotWorkTime => TimeSpan.FromTicks(Volatile.Read(ref _slotWorkTicksTotal));

    /// <summary>
    /// Gets the number of generation requests that took one slot.
    /// </summary>
    /// <param name="slot">The slot's index, from 0 to <see cref="SimulatedGatewayOptions.Slots"/> - 1.</param>
    /// <returns>The number of generation requests that took <paramref name="slot"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slot"/> is not the index of a slot.</exception>
    public long GetSlotRequests(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, _slotRequests.Length);
        return Volatile.Read(ref _slotRequests[slot]);
    }

    /// <summary>
    /// Gets the simulated work of one slot, as <see cref="SlotWorkTime"/> counts it.
    /// </summary>
    /// <param name="slot">The slot's index, from 0 to <see cref="SimulatedGatewayOptions.Slots"/> - 1.</param>
    /// <returns>The simulated work of the requests that took <paramref name="slot"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slot"/> is not the index of a slot.</exception>
    public TimeSpan GetSlotWorkTime(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, _slotWorkTicks.Length);
        return TimeSpan.FromTicks(Volatile.Read(ref _slotWorkTicks[slot]));
    }

    /// <summary>
    /// Gets the number of requests received on one path, compared exactly (ordinal), for example
    /// <c>GetRequests("/v1/completions")</c>.
    /// </summary>
    /// <param name="path">The request path, starting with <c>/</c>.</param>
    /// <returns>The number of requests received on <paramref name="path"/>; 0 if none.</returns>
    public long GetRequests(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _perPath.TryGetValue(path, out var box) ? Volatile.Read(ref box.Value) : 0;
    }

    /// <summary>Gets a value indicating whether no request of any route is being handled.</summary>
    internal bool IsIdle => Volatile.Read(ref _handling) == 0;

    /// <summary>
    /// Sets every counter back to zero, except <see cref="InFlight"/>, which reflects requests still running;
    /// <see cref="PeakInFlight"/> and <see cref="PeakActiveSlots"/> restart from the current values.
    /// Request sequence numbers restart at 1.
    /// </summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _totalRequests, 0);
        foreach (var box in _perPath.Values)
        {
            Interlocked.Exchange(ref box.Value, 0);
        }

        Interlocked.Exchange(ref _peakInFlight, Volatile.Read(ref _inFlight));
        Interlocked.Exchange(ref _peakActiveSlots, Volatile.Read(ref _activeSlots));
        Interlocked.Exchange(ref _faultsInjected, 0);
        for (var kind = 0; kind < _faultsByKind.Length; kind++)
        {
            Interlocked.Exchange(ref _faultsByKind[kind], 0);
        }

        Interlocked.Exchange(ref _succeededRequests, 0);
        Interlocked.Exchange(ref _promptTokens, 0);
        Interlocked.Exchange(ref _completionTokens, 0);
        Interlocked.Exchange(ref _cachedPromptTokens, 0);
        Interlocked.Exchange(ref _slotWorkTicksTotal, 0);
        for (var slot = 0; slot < _slotRequests.Length; slot++)
        {
            Interlocked.Exchange(ref _slotRequests[slot], 0);
            Interlocked.Exchange(ref _slotWorkTicks[slot], 0);
        }

        _waiters.Notify();
    }

    /// <summary>Counts a look at the load (<c>/slots</c>, <c>/metrics</c>) on its path only.</summary>
    internal void OnLoadLook(string path)
    {
        var box = _perPath.GetOrAdd(path, static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    /// <summary>Counts a request on arrival and returns its 1-based sequence number.</summary>
    internal long OnRequestReceived(string path)
    {
        var box = _perPath.GetOrAdd(path, static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
        Interlocked.Increment(ref _handling);
        var sequence = Interlocked.Increment(ref _totalRequests);
        _waiters.Notify();
        return sequence;
    }

    /// <summary>Marks a request received by <see cref="OnRequestReceived"/> as handled: answered, aborted or failed, and counted.</summary>
    internal void OnRequestHandled()
    {
        Interlocked.Decrement(ref _handling);
        _waiters.Notify();
    }

    internal void OnEnterInFlight()
    {
        UpdateMax(ref _peakInFlight, Interlocked.Increment(ref _inFlight));
        _waiters.Notify();
    }

    internal void OnExitInFlight()
    {
        Interlocked.Decrement(ref _inFlight);
        _waiters.Notify();
    }

    internal void OnSlotTaken(int slot)
    {
        Interlocked.Increment(ref _slotRequests[slot]);
        UpdateMax(ref _peakActiveSlots, Interlocked.Increment(ref _activeSlots));
    }

    internal void OnSlotWork(int slot, TimeSpan work)
    {
        Interlocked.Add(ref _slotWorkTicks[slot], work.Ticks);
        Interlocked.Add(ref _slotWorkTicksTotal, work.Ticks);
    }

    internal void OnSlotReleased() => Interlocked.Decrement(ref _activeSlots);

    internal void OnFaultInjected(SimulatedFaultKind kind)
    {
        if ((uint)kind < (uint)_faultsByKind.Length)
        {
            Interlocked.Increment(ref _faultsByKind[(int)kind]);
        }

        Interlocked.Increment(ref _faultsInjected);
    }

    internal void OnSucceeded(long promptTokens, long completionTokens, long cachedPromptTokens)
    {
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _cachedPromptTokens, cachedPromptTokens);
        Interlocked.Add(ref _completionTokens, completionTokens);
        Interlocked.Increment(ref _succeededRequests);
    }

    private static void UpdateMax(ref int location, int value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
