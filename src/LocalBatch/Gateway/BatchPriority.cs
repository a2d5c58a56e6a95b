namespace LocalBatch;

/// <summary>How batch work shares a server with requests that people are waiting for.</summary>
public enum BatchPriority
{
    /// <summary>
    /// Batch work (the processor's batches, <see cref="RequestQueue"/> workers, batch jobs) uses what interactive requests
    /// leave idle: while interactive requests run on a server (this client's own direct calls, requests proxied by
    /// <c>localbatch serve</c>, or other clients' requests seen through the server's <c>/slots</c>), batch requests
    /// leave enough of its slots free for them plus one, and take them back a few seconds after that traffic stops
    /// (<see cref="LocalBatchOptions.InteractiveHoldDown"/>). A batch always keeps at least one slot.
    /// </summary>
    Background = 0,

    /// <summary>Batch work takes every slot of a server, like any request: for a server nobody else uses.</summary>
    Foreground = 1,
}
