namespace LocalBatch.Testing.Internal;

/// <summary>
/// Decides which fault, if any, a request gets: the first matching scripted fault (FIFO), else
/// <see cref="SimulatedGatewayOptions.FaultSelector"/>, else a random fault with probability
/// <see cref="SimulatedGatewayOptions.FaultRate"/>.
/// </summary>
internal sealed class FaultSource(int seed)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<SimulatedFault> _scripted = new();

#pragma warning disable CA5394 // Faults are drawn from a seeded, reproducible generator on purpose.
    private readonly Random _random = new(seed);
#pragma warning restore CA5394

    public void Enqueue(SimulatedFault fault)
    {
        lock (_lock)
        {
            _scripted.AddLast(fault);
        }
    }

    /// <summary>Returns the fault for a request; <paramref name="isGeneration"/> tells whether it is on a generation route.</summary>
    public SimulatedFault? Next(SimulatedRequest request, bool isGeneration, SimulatedGatewayOptions options)
    {
        lock (_lock)
        {
            for (var node = _scripted.First; node is not null; node = node.Next)
            {
                var fault = node.Value;
                if (fault.Path is null ? isGeneration : string.Equals(fault.Path, request.Path, StringComparison.Ordinal))
                {
                    _scripted.Remove(node);
                    return fault;
                }
            }
        }

        if (!isGeneration)
        {
            return null;
        }

        if (options.FaultSelector?.Invoke(request) is { } selected)
        {
            return selected;
        }

        var rate = options.FaultRate;
        var kinds = options.RandomFaultKinds;
        if (rate <= 0 || kinds is null || kinds.Count == 0)
        {
            return null;
        }

        lock (_lock)
        {
#pragma warning disable CA5394 // See above.
            return _random.NextDouble() < rate ? new SimulatedFault(kinds[_random.Next(kinds.Count)]) : null;
#pragma warning restore CA5394
        }
    }
}
