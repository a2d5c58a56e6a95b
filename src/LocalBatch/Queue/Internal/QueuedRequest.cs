namespace LocalBatch.Queue.Internal;

/// <summary>
/// One submitted request: its work, its current snapshot, and the completion source its readers wait on.
/// It moves Pending → Running → Completed | Failed | Cancelled (or Pending → Cancelled) exactly once, lock-free.
/// </summary>
internal sealed class QueuedRequest
{
    private readonly TaskCompletionSource<RequestResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RequestResult _current;

    public QueuedRequest(string id, Func<CancellationToken, Task<object?>> work, DateTimeOffset submittedAt)
    {
        Work = work;
        _current = new RequestResult { RequestId = id, Status = RequestStatus.Pending, SubmittedAt = submittedAt };
    }

    public string Id => _current.RequestId;

    public Func<CancellationToken, Task<object?>> Work { get; }

    /// <summary>Gets the latest snapshot.</summary>
    public RequestResult Current => Volatile.Read(ref _current);

    /// <summary>Gets the final result, once the request finished; it never faults.</summary>
    public Task<RequestResult> Completion => _completion.Task;

    /// <summary>Gets or sets a value indicating whether someone read the final result. Guarded by the result store's lock.</summary>
    public bool WasRead { get; set; }

    /// <summary>Gets or sets a value indicating whether the result store let go of this request. Guarded by the result store's lock.</summary>
    public bool Released { get; set; }

    /// <summary>Gets or sets this request's place in the result store's list of finished results. Guarded by the result store's lock.</summary>
    public LinkedListNode<QueuedRequest>? RetentionNode { get; set; }

    /// <summary>Moves a pending request to running; false when it already finished (cancelled).</summary>
    public bool TryStart(DateTimeOffset now)
    {
        var pending = Volatile.Read(ref _current);
        return pending.Status == RequestStatus.Pending
            && Interlocked.CompareExchange(ref _current, pending with { Status = RequestStatus.Running, StartedAt = now }, pending) == pending;
    }

    /// <summary>Records the outcome, once; false when the request had already finished. Readers see it only after <see cref="Publish"/>.</summary>
    public bool TryFinish(RequestStatus status, object? value, BatchItemError? error, DateTimeOffset now, out RequestResult final)
    {
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (current.IsFinished)
            {
                final = current;
                return false;
            }

            final = current with { Status = status, Value = value, Error = error, FinishedAt = now };
            if (Interlocked.CompareExchange(ref _current, final, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Wakes everyone waiting for the result.</summary>
    public void Publish(RequestResult final) => _completion.TrySetResult(final);
}
