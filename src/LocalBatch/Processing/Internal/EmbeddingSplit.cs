using System.Runtime.CompilerServices;
using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// The one rule for an embeddings call of several items that the server refused — the texts of
/// <see cref="LocalBatchProcessor.ProcessBatchEmbeddingsAsync"/>, or a batch file's coalesced lines: when the refusal
/// may be one input's, the call is sent again in halves, each half the same way, down to single items; a single item
/// that is still refused carries the refusal.
/// </summary>
/// <remarks>
/// <para>
/// llama-server answers an array input as a whole: one input longer than the physical batch fails the call with 500
/// "too large to process", one longer than a slot's context with 400 <c>exceed_context_size_error</c>, one that
/// tokenizes to nothing with 400 <c>invalid_request_error</c>, one with a lone surrogate with a 500 JSON parse error; a
/// proxy in front of it may answer 413 for the body. So every permanent refusal (4xx, and llama.cpp's permanent
/// 500s) splits, except those that every half would get alike and that splitting would only repeat: a refused key
/// (401, 403), a route or method the server does not have (404, 405), a server without <c>--embeddings</c> (501), and
/// a server fault that outlasted the retries (408, 429, and 5xx other than llama.cpp's permanent 500s).
/// </para>
/// <para>
/// The halves go one after the other, the first before the second, and each call that stands is yielded as it comes
/// back: a caller that stops at the first refusal that stands (the processor, which fails the whole call on it) sends
/// nothing more, and a caller that reads to the end (the batch file's lines) has an answer for every item. A refusal
/// under the rule that is the request's rather than an input's (a malformed option, say) costs about log2(n) quick
/// refusals before it stands on the first item, where it names the server's own message.
/// </para>
/// </remarks>
internal static class EmbeddingSplit
{
    /// <summary>Returns whether a call of more than one item refused with this status and server message is sent again in halves.</summary>
    /// <param name="status">The final HTTP status (after the client's retries).</param>
    /// <param name="serverMessage">The server's error <c>message</c>, when it sent one.</param>
    /// <returns><see langword="true"/> for a permanent refusal that may be one input's: 4xx other than 401, 403, 404, 405, 408 and 429, and llama.cpp's permanent 500s.</returns>
    public static bool Applies(int status, string? serverMessage) =>
        status is >= 400 and <= 500 and not (401 or 403 or 404 or 405)
        && !GatewayErrorClassifier.IsTransientStatus(status, serverMessage);

    /// <summary>Returns whether a call of more than one item that failed with this exception is sent again in halves (see <see cref="Applies(int, string)"/>).</summary>
    /// <param name="refusal">The failure of the call.</param>
    /// <returns><see langword="true"/> when the server answered with a status the rule splits on.</returns>
    public static bool Applies(LocalGatewayException refusal) =>
        refusal.StatusCode is { } status && Applies(status, refusal.ServerMessage);

    /// <summary>A call that was answered.</summary>
    /// <typeparam name="T">The caller's value for the call's items.</typeparam>
    /// <param name="value">The caller's value for the call's items.</param>
    /// <returns>The reply.</returns>
    public static Reply<T> Answered<T>(T value) => new(value, RefusedWith: null, ServerMessage: null, Unfit: false);

    /// <summary>A call the server refused; it splits when <see cref="Applies(int, string)"/> says so.</summary>
    /// <typeparam name="T">The caller's value for the call's items.</typeparam>
    /// <param name="value">The caller's value for the call's items, should the refusal stand for them all.</param>
    /// <param name="status">The final HTTP status.</param>
    /// <param name="serverMessage">The server's error <c>message</c>, when it sent one.</param>
    /// <returns>The reply.</returns>
    public static Reply<T> Refused<T>(T value, int status, string? serverMessage) => new(value, status, serverMessage, Unfit: false);

    /// <summary>A call the server refused with an exception of the client; it splits when <see cref="Applies(LocalGatewayException)"/> says so.</summary>
    /// <param name="refusal">The failure, which is also the caller's value for the call's items.</param>
    /// <returns>The reply.</returns>
    public static Reply<LocalGatewayException?> Refused(LocalGatewayException refusal) =>
        new(refusal, refusal.StatusCode ?? 0, refusal.ServerMessage, Unfit: false);

    /// <summary>
    /// A 2xx answer that cannot be shared out among the call's items (not one vector per input, in order): split like
    /// a refusal under the rule, so that each item gets an answer of its own.
    /// </summary>
    /// <typeparam name="T">The caller's value for the call's items.</typeparam>
    /// <param name="value">The caller's value for the call's items, should the answer stand (a single item).</param>
    /// <returns>The reply.</returns>
    public static Reply<T> Unfit<T>(T value) => new(value, RefusedWith: null, ServerMessage: null, Unfit: true);

    /// <summary>
    /// Sends the items <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 as one call;
    /// when the call holds more than one item and its reply splits (a refusal under the rule, or an answer that does
    /// not fit), sends its first half, then its second, each the same way.
    /// </summary>
    /// <typeparam name="T">The caller's value for a call's items: their vectors or answers, or the refusal.</typeparam>
    /// <param name="start">The first item.</param>
    /// <param name="count">The number of items; at least 1.</param>
    /// <param name="send">Sends the items <c>[start, start + count)</c> as one call and tells what came back.</param>
    /// <param name="logger">Where a split is logged.</param>
    /// <param name="cancellationToken">Cancels the calls not yet sent.</param>
    /// <returns>
    /// Each call that stands, in item order, as soon as it comes back: its first item, its number of items, and the
    /// caller's value from its reply — an answer, a refusal of a single item, or a refusal outside the rule.
    /// </returns>
    /// <exception cref="LocalGatewayException"><paramref name="send"/> threw it (a call that got no answer, say).</exception>
    public static async IAsyncEnumerable<(int Start, int Count, T Value)> SendAsync<T>(
        int start,
        int count,
        Func<int, int, CancellationToken, Task<Reply<T>>> send,
        ILogger logger,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reply = await send(start, count, cancellationToken).ConfigureAwait(false);
        if (count == 1 || !reply.Splits)
        {
            yield return (start, count, reply.Value);
            yield break;
        }

        Log.SplittingEmbeddingChunk(logger, start, count, reply.RefusedWith is { } status ? $"a {status} refusal" : "an answer that does not fit its items");
        var half = count / 2;
        await foreach (var call in SendAsync(start, half, send, logger, cancellationToken).ConfigureAwait(false))
        {
            yield return call;
        }

        await foreach (var call in SendAsync(start + half, count - half, send, logger, cancellationToken).ConfigureAwait(false))
        {
            yield return call;
        }
    }

    /// <summary>What one call came back with: the caller's value for its items and, when it did not fit them, why.</summary>
    /// <typeparam name="T">The caller's value for the call's items.</typeparam>
    /// <param name="Value">The caller's value for the call's items.</param>
    /// <param name="RefusedWith">The status the server refused the call with, or <see langword="null"/> when it answered 2xx.</param>
    /// <param name="ServerMessage">The server's error <c>message</c>, when it refused the call with one.</param>
    /// <param name="Unfit">Whether a 2xx answer could not be shared out among the call's items.</param>
    internal readonly record struct Reply<T>(T Value, int? RefusedWith, string? ServerMessage, bool Unfit)
    {
        /// <summary>Gets a value indicating whether the call, when it holds more than one item, is sent again in halves.</summary>
        public bool Splits => Unfit || (RefusedWith is { } status && Applies(status, ServerMessage));
    }
}
