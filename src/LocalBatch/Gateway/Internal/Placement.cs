namespace LocalBatch.Gateway.Internal;

/// <summary>What a batch request's body lets the pool add for an attempt (see <see cref="PlacedBody"/>).</summary>
/// <param name="Markable">Whether it can carry this client's mark (<see cref="OwnRequestMark"/>).</param>
/// <param name="Pin">The slot its lane keeps, when it can be pinned to one; <see langword="null"/> otherwise.</param>
internal readonly record struct Placement(bool Markable, SlotPin? Pin)
{
    /// <summary>Gets the placement of a request that takes neither.</summary>
    public static Placement None => default;
}
