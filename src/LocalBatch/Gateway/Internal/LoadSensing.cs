namespace LocalBatch.Gateway.Internal;

/// <summary>
/// What the pool keeps of one server to tell other clients' requests from its own (pool lock): how many requests
/// without the mark it knows were started and answered there (its own and those proxied through it), what they were
/// when the server was last asked, the slots' tasks then, and when interactive traffic was last seen there.
/// </summary>
internal sealed class LoadSensing
{
    private IReadOnlyList<long?>? _taskIds;

    /// <summary>Gets or sets where the server's load is read.</summary>
    public LoadSource Source { get; set; }

    /// <summary>Gets or sets the requests without the mark known to have started on the server (own and proxied).</summary>
    public long KnownStarted { get; set; }

    /// <summary>Gets or sets the requests without the mark known to have ended on the server (own and proxied).</summary>
    public long KnownCompleted { get; set; }

    /// <summary>Gets <see cref="KnownCompleted"/> when the server was last asked.</summary>
    public long CompletedAtLook { get; private set; }

    /// <summary>Gets or sets when interactive traffic was last seen on the server (a timestamp; 0 for never).</summary>
    public long InteractiveSeen { get; set; }

    /// <summary>
    /// Gets or sets how many more looks batch requests leave one slot free for, so that a request of another client
    /// queued behind this client's runs there and shows.
    /// </summary>
    public int RoomLooksLeft { get; set; }

    /// <summary>Gets a value indicating whether batch requests leave one slot free now to look (<see cref="RoomLooksLeft"/>).</summary>
    public bool MakingRoom => RoomLooksLeft > 0;

    /// <summary>
    /// Gets or sets a value indicating whether the server's <c>/slots</c> shows each task's <c>timings_per_token</c>:
    /// from then on this client's batch requests carry the mark (<see cref="OwnRequestMark"/>).
    /// </summary>
    public bool ShowsMarks { get; set; }

    /// <summary>Gets or sets when a slot was last left free to look (a timestamp).</summary>
    public long RoomMade { get; set; }

    /// <summary>Gets or sets the interactive requests last reported to the metrics.</summary>
    public int ReportedInteractive { get; set; }

    private long StartedAtLook { get; set; }

    private long StartedAtLastLook { get; set; }

    private long StartedAtLookBefore { get; set; }

    /// <summary>Notes the known counts as the server is asked again.</summary>
    public void MarkLook()
    {
        StartedAtLookBefore = StartedAtLastLook;
        StartedAtLastLook = StartedAtLook;
        StartedAtLook = KnownStarted;
        CompletedAtLook = KnownCompleted;
    }

    /// <summary>
    /// The tasks other clients started since the last look, at least: the slots whose task changed, beyond the requests
    /// known to have started since the look before it (a request sent just before a look may reach its slot only after
    /// it; a slot that ran two tasks shows one change: so this never counts too many).
    /// </summary>
    public int CountForeignStarts(IReadOnlyList<long?>? taskIds)
    {
        var previous = _taskIds;
        _taskIds = taskIds;
        if (taskIds is null || previous is null || previous.Count != taskIds.Count)
        {
            return 0;
        }

        var changed = 0;
        for (var slot = 0; slot < taskIds.Count; slot++)
        {
            changed += taskIds[slot] is { } task && task != previous[slot] ? 1 : 0;
        }

        return (int)Math.Max(0, changed - (StartedAtLook - StartedAtLookBefore));
    }
}
