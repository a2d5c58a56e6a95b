namespace LocalBatch;

/// <summary>Where a running batch stands; reported through <see cref="IProgress{T}"/> as items finish.</summary>
/// <remarks>
/// <para>
/// The processor's batch methods report once for each item that finishes, one report at a time and in order:
/// <see cref="Completed"/> goes 1, 2, … up to <see cref="Total"/>, each count once, the last report before the method
/// returns. (A batch with no items gets one report, of 0.) Each report is made on the thread that finished the item: an
/// <see cref="IProgress{T}"/> of your own sees them exactly so, and should return quickly.
/// </para>
/// <para>
/// A <see cref="Progress{T}"/> does not call its handler there: it posts each report to the
/// <see cref="SynchronizationContext"/> it was created on, or, in a console app or a service (none), to the thread pool.
/// Its handler may then run after the method has returned, and two reports' handlers may run at once or out of order. A
/// UI (one context, one thread) sees them in order; elsewhere, implement <see cref="IProgress{T}"/> to print them in order.
/// </para>
/// </remarks>
public sealed record BatchProgress
{
    /// <summary>Gets the number of items, or <see langword="null"/> when a streamed input's length is not known.</summary>
    public int? Total { get; init; }

    /// <summary>Gets the items finished so far, successful or failed.</summary>
    public int Completed { get; init; }

    /// <summary>Gets the items that finished with an error.</summary>
    public int Failed { get; init; }

    /// <summary>Gets the items sent and not yet finished.</summary>
    public int InFlight { get; init; }

    /// <summary>Gets the time since the batch started.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Gets the finished items per second so far.</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary>Gets the prompt tokens of the successful answers so far.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Gets the generated tokens of the successful answers so far.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Gets the estimated time left at the current rate, when <see cref="Total"/> is known and something has finished.</summary>
    public TimeSpan? EstimatedRemaining { get; init; }

    /// <summary>Gets each server's figures (every batch on the client together), in the order of the options.</summary>
    public IReadOnlyList<ServerProgress> Servers { get; init; } = [];

    /// <summary>
    /// Gets a value indicating whether batch work leaves slots free for interactive requests on any server now
    /// (<see cref="BatchPriority.Background"/>): the batch runs slower while people use the server.
    /// </summary>
    public bool IsYielding => Servers.Any(static server => server.Reserved > 0);
}
