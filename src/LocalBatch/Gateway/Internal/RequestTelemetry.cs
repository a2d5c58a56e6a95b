namespace LocalBatch.Gateway.Internal;

/// <summary>What one logical request cost: how many attempts the resilience pipeline made for it.</summary>
internal sealed class RequestTelemetry
{
    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    public void AttemptStarted() => Interlocked.Increment(ref _attempts);
}
