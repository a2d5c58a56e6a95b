namespace LocalBatch;

/// <summary>One server's figures while requests run on it (every batch on the client together).</summary>
/// <param name="Endpoint">The server's base address.</param>
/// <param name="InRotation">Whether requests go to it; a server that failed is out until its <c>/health</c> answers again.</param>
/// <param name="InFlight">The requests sent to it and not yet answered.</param>
/// <param name="Limit">The most it is sent at once: its slots, or what its latency shows it takes.</param>
/// <param name="Requests">The attempts sent to it so far.</param>
/// <param name="Failures">The attempts that got no usable answer from it (errors, refused or dropped connections).</param>
public sealed record ServerProgress(Uri Endpoint, bool InRotation, int InFlight, int Limit, long Requests, long Failures)
{
    /// <summary>
    /// Gets the interactive requests running on the server: the client's own direct calls, requests proxied past it
    /// (<see cref="LocalGatewayClient.BeginInteractiveRequest"/>) and other clients' requests seen at its <c>/slots</c>.
    /// </summary>
    public int Interactive { get; init; }

    /// <summary>Gets the slots batch work leaves free for interactive requests now (0 when it takes every slot).</summary>
    public int Reserved { get; init; }
}
