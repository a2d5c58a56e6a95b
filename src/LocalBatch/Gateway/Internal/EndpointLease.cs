namespace LocalBatch.Gateway.Internal;

/// <summary>A slot of one server, held by one attempt; give it back with <see cref="EndpointPool.Complete"/>.</summary>
/// <param name="Endpoint">The server the attempt goes to.</param>
/// <param name="Started">When the slot was taken (a <see cref="TimeProvider"/> timestamp), for the attempt's latency.</param>
/// <param name="Group">The batch work the attempt belongs to; <see langword="null"/> for an interactive request.</param>
internal readonly record struct EndpointLease(ServerEndpoint Endpoint, long Started, TurnGroup? Group = null);
