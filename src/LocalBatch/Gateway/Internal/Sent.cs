using System.Runtime.ExceptionServices;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// What one logical request came to, retries included: its answer or its failure, the server its last attempt went
/// to, and how many attempts it took. Returned by the client's internal send, so that a caller (a lane that keeps its
/// server, the metrics) reads what happened instead of handing in something to be filled.
/// </summary>
/// <param name="Value">The answer, when there is one.</param>
/// <param name="Error">The failure after every retry it deserved, when there is no answer.</param>
/// <param name="Server">The server of the last attempt, or <see langword="null"/> when none was made.</param>
/// <param name="Attempts">The attempts made (at least one, once anything was sent).</param>
internal readonly record struct Sent<T>(T? Value, ExceptionDispatchInfo? Error, ServerEndpoint? Server, int Attempts)
{
    /// <summary>Gets a value indicating whether the request got an answer.</summary>
    public bool IsSuccess => Error is null;

    /// <summary>Gets the failure, when there is no answer.</summary>
    public Exception? Exception => Error?.SourceException;

    /// <summary>The answer, or the failure rethrown with its original stack.</summary>
    public T GetValueOrThrow()
    {
        Error?.Throw();
        return Value!;
    }
}
