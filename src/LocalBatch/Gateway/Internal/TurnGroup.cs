namespace LocalBatch.Gateway.Internal;

/// <summary>
/// The batch work a request belongs to, at the admission point: one batch (a processor call, a queue's workers, a batch
/// job) and whom it is for. Groups take turns: a free slot goes to the owner with the fewest requests in flight, then
/// to that owner's group with the fewest, so that a small batch started next to a big one is not starved. A request
/// made inside a lane of the engine carries the lane's group (ambiently, so that a queue's own work or an adapter's
/// calls count too); a request made outside any lane has none and is interactive.
/// </summary>
/// <param name="owner">Whom the batch is for (a key's name in <c>localbatch serve</c>); empty for nobody in particular.</param>
internal sealed class TurnGroup(string owner)
{
    private static readonly AsyncLocal<TurnGroup?> s_current = new();

    /// <summary>Gets the group of the batch work running on this flow, or <see langword="null"/> outside it.</summary>
    public static TurnGroup? Current => s_current.Value;

    /// <summary>Gets whom the batch is for; empty for nobody in particular.</summary>
    public string Owner { get; } = owner;

    /// <summary>Gets or sets the group's requests holding a slot now (pool lock).</summary>
    public int InFlight { get; set; }

    /// <summary>
    /// Makes <paramref name="group"/> the group of what runs on this flow from now on (and of the tasks it starts); an
    /// engine's lane calls it once as it starts, on its own flow.
    /// </summary>
    public static void Enter(TurnGroup group) => s_current.Value = group;

    /// <summary>The group a new run of the engine joins: the one it runs inside, or a new one of its own.</summary>
    public static TurnGroup ForNewRun() => Current ?? new TurnGroup(string.Empty);
}
