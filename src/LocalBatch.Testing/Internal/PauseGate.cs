namespace LocalBatch.Testing.Internal;

/// <summary>Holds requests while the gateway is paused.</summary>
internal sealed class PauseGate
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _gate;

    public void Pause()
    {
        lock (_lock)
        {
            _gate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Resume()
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            gate = _gate;
            _gate = null;
        }

        gate?.TrySetResult();
    }

    /// <summary>Completes at once when not paused; otherwise when resumed (or paused again and resumed).</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _gate) is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
