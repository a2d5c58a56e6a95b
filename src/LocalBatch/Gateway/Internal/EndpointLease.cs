namespace LocalBatch.Gateway.Internal;

/// <summary>A slot of one server, held by one attempt; give it back with <see cref="EndpointPool.Complete"/>.</summary>
/// <param name="Endpoint">The server the attempt goes to.</param>
/// <param name="Started">When the attempt started on its slot (a <see cref="TimeProvider"/> timestamp), for its latency.</param>
/// <param name="Group">The batch work the attempt belongs to; <see langword="null"/> for an interactive request.</param>
/// <param name="Marked">Whether the attempt is to carry this client's mark (<see cref="OwnRequestMark"/>).</param>
/// <param name="Slot">The slot the attempt is pinned to (<c>id_slot</c>, see <see cref="SlotPin"/>); negative for none.</param>
internal readonly record struct EndpointLease(ServerEndpoint Endpoint, long Started, TurnGroup? Group = null, bool Marked = false, int Slot = -1);
