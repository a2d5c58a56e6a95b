namespace LocalBatch;

/// <summary>Where a request submitted to a <see cref="RequestQueue"/> stands.</summary>
public enum RequestStatus
{
    /// <summary>Submitted and waiting for a worker.</summary>
    Pending,

    /// <summary>A worker is running it.</summary>
    Running,

    /// <summary>Finished with a value (<see cref="RequestResult.Value"/>).</summary>
    Completed,

    /// <summary>Finished with an error (<see cref="RequestResult.Error"/>); the gateway client's retries, if any, were already spent.</summary>
    Failed,

    /// <summary>Cancelled by the queue's shutdown, either while running or before a worker took it.</summary>
    Cancelled,

    /// <summary>
    /// Not a state of the request but of one wait: <see cref="RequestQueue.GetResultAsync(string, TimeSpan, CancellationToken)"/>
    /// gave up before the request finished. The request goes on, and its result can be read later.
    /// </summary>
    TimedOut,
}
