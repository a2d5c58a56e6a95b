namespace LocalBatch.Batches.Internal;

/// <summary>
/// The reasons a batch run stops before its input is exhausted, and the token that stops it: a cancellation (asked
/// here, or by another process through the cancel marker file), the end of the completion window, or a shutdown.
/// The first reason wins; later ones change nothing.
/// </summary>
internal sealed class BatchStopSignals : IDisposable
{
    private static readonly TimeSpan MarkerInterval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly string _cancelMarker;
    private readonly TimeProvider _time;
    private readonly Action<BatchStopReason> _stopping;
    private int _reason;

    /// <param name="cancelMarker">The file whose presence asks for cancellation.</param>
    /// <param name="time">The clock of the expiry and of the marker's watch.</param>
    /// <param name="stopping">Called once, with the first reason, before the token is cancelled.</param>
    public BatchStopSignals(string cancelMarker, TimeProvider time, Action<BatchStopReason> stopping)
    {
        _cancelMarker = cancelMarker;
        _time = time;
        _stopping = stopping;
    }

    /// <summary>Gets the token that is cancelled when the run must stop.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Gets the first reason given, or <see cref="BatchStopReason.None"/>.</summary>
    public BatchStopReason Reason => (BatchStopReason)Volatile.Read(ref _reason);

    /// <summary>Asks the run to stop; only the first reason counts.</summary>
    public void Request(BatchStopReason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, (int)BatchStopReason.None) != (int)BatchStopReason.None)
        {
            return;
        }

        _stopping(reason);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A timer (expiry, marker watch) fired as the run was being disposed: it has stopped already.
        }
    }

    /// <summary>Asks for cancellation when another process (<c>localbatch batches cancel</c>) left the marker file.</summary>
    public void CheckCancelMarker()
    {
        try
        {
            if (File.Exists(_cancelMarker))
            {
                Request(BatchStopReason.Cancel);
            }
        }
        catch (IOException)
        {
            // Looked at again at the next tick.
        }
    }

    /// <summary>
    /// Starts the expiry timer (none when <paramref name="expiresAt"/> is null; at once when it has passed) and the
    /// watch of the cancel marker; disposing the result stops both.
    /// </summary>
    public IDisposable StartWatching(long? expiresAt)
    {
        ITimer? expiry = null;
        if (expiresAt is { } end)
        {
            var due = DateTimeOffset.FromUnixTimeSeconds(end) - _time.GetUtcNow();
            if (due <= TimeSpan.Zero)
            {
                Request(BatchStopReason.Expire);
            }
            else
            {
                expiry = _time.CreateTimer(static state => ((BatchStopSignals)state!).Request(BatchStopReason.Expire), this, due, Timeout.InfiniteTimeSpan);
            }
        }

        return new Watch(expiry, StartMarkerWatch());
    }

    /// <summary>Removes the marker of a cancellation that has been carried out; a leftover one is harmless.</summary>
    public void ClearCancelMarker()
    {
        try
        {
            File.Delete(_cancelMarker);
        }
        catch (IOException)
        {
            // The batch is already in an end state: a marker left behind changes nothing.
        }
    }

    public void Dispose() => _stop.Dispose();

    /// <summary>
    /// Looks for the marker every second. The timer re-arms itself after each look rather than being periodic, so that a
    /// clock moved on by hours (a test's) looks once, not once for every second it skipped.
    /// </summary>
    private ITimer StartMarkerWatch()
    {
        ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                CheckCancelMarker();
                try
                {
                    timer?.Change(MarkerInterval, Timeout.InfiniteTimeSpan);
                }
                catch (ObjectDisposedException)
                {
                    // The run ended meanwhile.
                }
            },
            null,
            MarkerInterval,
            Timeout.InfiniteTimeSpan);
        return timer;
    }

    private sealed class Watch(ITimer? expiry, ITimer marker) : IDisposable
    {
        public void Dispose()
        {
            expiry?.Dispose();
            marker.Dispose();
        }
    }
}
