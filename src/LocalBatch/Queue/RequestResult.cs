using System.Runtime.ExceptionServices;

namespace LocalBatch;

/// <summary>What a <see cref="RequestQueue"/> knows about one request: its status and, once it finished, its value or error.</summary>
/// <remarks>
/// A result is a snapshot: a <see cref="RequestStatus.Pending"/> or <see cref="RequestStatus.Running"/> result does not change;
/// ask the queue again for a newer one.
/// </remarks>
public sealed record RequestResult
{
    /// <summary>Gets the id the request was submitted with.</summary>
    public required string RequestId { get; init; }

    /// <summary>Gets where the request stands.</summary>
    public required RequestStatus Status { get; init; }

    /// <summary>
    /// Gets the request's answer when it <see cref="RequestStatus.Completed"/>: a <see cref="CompletionResponse"/>,
    /// <see cref="ChatCompletionResponse"/> or <see cref="EmbeddingResponse"/> for gateway requests, or what the submitted
    /// work returned (<see langword="null"/> for work without a value). Read it typed with <see cref="GetValue{T}"/>.
    /// </summary>
    public object? Value { get; init; }

    /// <summary>Gets why the request failed; set exactly when <see cref="Status"/> is <see cref="RequestStatus.Failed"/>.</summary>
    public BatchItemError? Error { get; init; }

    /// <summary>Gets when the request was submitted.</summary>
    public DateTimeOffset SubmittedAt { get; init; }

    /// <summary>Gets when a worker started it, or <see langword="null"/> when none did (yet).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Gets when it finished (completed, failed or was cancelled), or <see langword="null"/> while it has not.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>
    /// Gets a value indicating whether the request has finished: <see cref="RequestStatus.Completed"/>,
    /// <see cref="RequestStatus.Failed"/> or <see cref="RequestStatus.Cancelled"/>.
    /// </summary>
    public bool IsFinished => Status is RequestStatus.Completed or RequestStatus.Failed or RequestStatus.Cancelled;

    /// <summary>Returns the request's answer as a <typeparamref name="T"/>, the way awaiting a task returns its result or throws its exception.</summary>
    /// <typeparam name="T">The answer's type, such as <see cref="CompletionResponse"/>.</typeparam>
    /// <returns>The <see cref="Value"/>.</returns>
    /// <exception cref="InvalidCastException">The request completed with a value that is not a <typeparamref name="T"/>.</exception>
    /// <exception cref="LocalGatewayException">The request failed at the gateway (any exception the work threw is rethrown as it is).</exception>
    /// <exception cref="OperationCanceledException">The request was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The request has not finished (<see cref="RequestStatus.Pending"/>, <see cref="RequestStatus.Running"/> or <see cref="RequestStatus.TimedOut"/>).</exception>
    public T GetValue<T>()
    {
        switch (Status)
        {
            case RequestStatus.Completed:
                if (Value is T value)
                {
                    return value;
                }

                if (Value is null && default(T) is null)
                {
                    return default!;
                }

                throw new InvalidCastException($"Request '{RequestId}' completed with {(Value is null ? "no value" : $"a {Value.GetType().Name}")}, not a {typeof(T).Name}.");

            case RequestStatus.Failed when Error?.Exception is { } exception:
                ExceptionDispatchInfo.Throw(exception);
                return default!; // Not reached: Throw does not return.

            case RequestStatus.Failed:
                throw new InvalidOperationException($"Request '{RequestId}' failed: {Error?.Message ?? "no error recorded"}.");

            case RequestStatus.Cancelled:
                throw new OperationCanceledException($"Request '{RequestId}' was cancelled by the queue's shutdown.");

            default:
                throw new InvalidOperationException($"Request '{RequestId}' has not finished (status {Status}); wait for it with RequestQueue.GetResultAsync.");
        }
    }
}
