using LocalBatch.Gateway.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// The one way a batch run stops before its input is exhausted: the run's single token, and the first reason given,
/// kept as a value (later ones change nothing). It is fed by the manager (a cancellation asked here, a shutdown), by the
/// watch of the cancel marker file (another process's <c>localbatch batches cancel</c>), by the expiry timer (the end of
/// the completion window), and by the check of every answer the run's requests get: a refused API key refuses every
/// request alike, so the first 401 or 403 stops the run at once and no request starts after it (those in flight are
/// cancelled, unrecorded, and sent again when the run resumes with the right key).
/// </summary>
internal sealed class BatchStopSource : IDisposable
{
    private static readonly TimeSpan MarkerInterval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _source = new();
    private readonly string _cancelMarker;
    private readonly TimeProvider _time;
    private BatchStopReason? _reason;

    /// <param name="cancelMarker">The file whose presence asks for cancellation.</param>
    /// <param name="time">The clock of the expiry and of the marker's watch.</param>
    public BatchStopSource(string cancelMarker, TimeProvider time)
    {
        _cancelMarker = cancelMarker;
        _time = time;
    }

    /// <summary>Gets the token that the run's work is done with: cancelled when the run must stop.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Gets the first reason given, or <see langword="null"/> while the run goes on.</summary>
    public BatchStopReason? Reason => Volatile.Read(ref _reason);

    /// <summary>Whether an answer's status refuses the API key (401 or 403): the server then refuses every request alike.</summary>
    public static bool IsRefusal(int? statusCode) => statusCode is 401 or 403;

    /// <summary>Asks the run to stop; only the first reason counts.</summary>
    /// <returns>Whether the run stops for this reason (it is the first given).</returns>
    public bool Request(BatchStopReason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is not null)
        {
            return false;
        }

        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Asked as the run was being disposed (a timer, a late cancellation): it has stopped already.
        }

        return true;
    }

    /// <summary>Asks for cancellation when another process (<c>localbatch batches cancel</c>) left the marker file.</summary>
    /// <returns>Whether the run stops for that cancellation (the marker is there, and no other reason came first).</returns>
    public bool CheckCancelMarker()
    {
        try
        {
            return File.Exists(_cancelMarker) && Request(new BatchStopReason.Cancel());
        }
        catch (IOException)
        {
            return false; // Looked at again at the next tick.
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
                Request(new BatchStopReason.Expire());
            }
            else
            {
                expiry = _time.CreateTimer(static state => ((BatchStopSource)state!).Request(new BatchStopReason.Expire()), this, due, Timeout.InfiniteTimeSpan);
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

    /// <summary>Sends one line, and stops the run when its answer refuses the API key.</summary>
    /// <param name="send">Sends the line with the token it is given.</param>
    /// <param name="cancellationToken">The token the run's stream gives the request (cancelled with <see cref="Token"/>).</param>
    public Task<Sent<GatewayResponse>> SendAsync(Func<CancellationToken, Task<Sent<GatewayResponse>>> send, CancellationToken cancellationToken) =>
        SendAsync(send, static answer => answer, cancellationToken);

    /// <summary>Sends a chunk of coalesced lines, and stops the run when one of their answers refuses the API key.</summary>
    /// <param name="send">Sends the chunk with the token it is given.</param>
    /// <param name="cancellationToken">The token the run's stream gives the request (cancelled with <see cref="Token"/>).</param>
    public Task<Sent<GatewayResponse[]>> SendAsync(Func<CancellationToken, Task<Sent<GatewayResponse[]>>> send, CancellationToken cancellationToken) =>
        SendAsync(send, static answers => Array.Find(answers, static answer => IsRefusal(answer.StatusCode)), cancellationToken);

    public void Dispose() => _source.Dispose();

    private async Task<Sent<T>> SendAsync<T>(Func<CancellationToken, Task<Sent<T>>> send, Func<T, GatewayResponse?> answerOf, CancellationToken cancellationToken)
    {
        if (_source.IsCancellationRequested)
        {
            // The run is stopping, and the cancellation is reaching this request's token: it does not start.
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }

        var result = await send(cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess && answerOf(result.Value!) is { } answer && IsRefusal(answer.StatusCode))
        {
            // Synchronously, before the answer goes back: no slot this call frees can start another request.
            Request(new BatchStopReason.KeyRefused(BatchResultMapper.ErrorOf(answer)!));
        }

        return result;
    }

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
