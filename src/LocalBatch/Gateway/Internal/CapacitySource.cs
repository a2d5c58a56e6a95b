namespace LocalBatch.Gateway.Internal;

/// <summary>How a server's limit is known.</summary>
internal enum CapacitySource
{
    /// <summary>Not looked up yet.</summary>
    Unknown,

    /// <summary><see cref="LocalBatchOptions.MaxConcurrency"/>.</summary>
    Fixed,

    /// <summary>The server's <c>total_slots</c> from <c>/props</c>.</summary>
    Props,

    /// <summary>Found from latency (<see cref="AdaptiveLimit"/>).</summary>
    Adaptive,
}
