using LocalBatch.Gateway.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// A refused API key refuses every request alike: the first 401 or 403 to come back cancels <see cref="Token"/> at
/// once (the token a run's requests are sent with), so that no request starts after it; those in flight are cancelled,
/// unrecorded, and sent again when the run resumes with the right key.
/// </summary>
internal sealed class KeyRefusal : IDisposable
{
    private readonly CancellationTokenSource _source;
    private GatewayResponse? _first;

    public KeyRefusal(CancellationToken stopping) => _source = CancellationTokenSource.CreateLinkedTokenSource(stopping);

    /// <summary>Gets the token to send a run's requests with: cancelled by the first refusal, or when the run stops.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Gets the first refusal, or <see langword="null"/> while there is none.</summary>
    public GatewayResponse? First => Volatile.Read(ref _first);

    /// <summary>Sends one line and watches its answer for a refusal.</summary>
    public Task<Sent<GatewayResponse>> SendAsync(Func<CancellationToken, Task<Sent<GatewayResponse>>> send, CancellationToken cancellationToken) =>
        SendAsync(send, static answer => answer, cancellationToken);

    /// <summary>Sends a chunk of coalesced lines and watches their answers for a refusal.</summary>
    public Task<Sent<GatewayResponse[]>> SendAsync(Func<CancellationToken, Task<Sent<GatewayResponse[]>>> send, CancellationToken cancellationToken) =>
        SendAsync(send, static answers => Array.Find(answers, static answer => IsRefusal(answer)), cancellationToken);

    private static bool IsRefusal(GatewayResponse answer) => answer.StatusCode is 401 or 403;

    private async Task<Sent<T>> SendAsync<T>(Func<CancellationToken, Task<Sent<T>>> send, Func<T, GatewayResponse?> refusalOf, CancellationToken cancellationToken)
    {
        if (_source.IsCancellationRequested)
        {
            // The first refusal is stopping the run, and its cancellation is reaching this request's token.
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }

        var result = await send(cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess && refusalOf(result.Value!) is { } refusal && IsRefusal(refusal) && Interlocked.CompareExchange(ref _first, refusal, null) is null)
        {
            _source.Cancel(); // synchronously: no slot this call frees can start another one
        }

        return result;
    }

    public void Dispose() => _source.Dispose();
}
