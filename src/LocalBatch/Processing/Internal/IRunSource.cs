namespace LocalBatch.Processing.Internal;

/// <summary>
/// Where the engine's lanes take their work: the next run (items that go one after another on one lane, such as
/// requests sharing a prompt prefix; a single item is a run of one), or an empty run once the input is exhausted.
/// Lanes call it at once: it hands each run to one lane only.
/// </summary>
internal interface IRunSource<T>
{
    /// <summary>
    /// Gets a value indicating whether a run's items share a prompt prefix, so that a lane sends each to the server its
    /// last one went to when it has room; otherwise every request goes to the least loaded server.
    /// </summary>
    bool SharesPrefixes { get; }

    /// <summary>Takes the next run; empty when there is none left.</summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting for input.</exception>
    ValueTask<ReadOnlyMemory<T>> NextAsync(CancellationToken cancellationToken);
}
