namespace LocalBatch.Testing.Internal;

/// <summary>A slot given to a request, and how many of its prompt tokens were reused from the slot's cache.</summary>
internal readonly record struct SlotGrant(int Slot, int CachedTokens);
