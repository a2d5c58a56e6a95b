using System.Diagnostics.CodeAnalysis;

namespace LocalBatch;

/// <summary>The outcome of one item of a batch: its answer, or why it has none.</summary>
/// <typeparam name="T">The response type.</typeparam>
public sealed record BatchItemResult<T>
    where T : class
{
    /// <summary>Gets the item's position in the input.</summary>
    public required int Index { get; init; }

    /// <summary>Gets the answer, when the item succeeded.</summary>
    public T? Value { get; init; }

    /// <summary>Gets why the item failed, when it did.</summary>
    public BatchItemError? Error { get; init; }

    /// <summary>Gets how many attempts were made (1 when the first succeeded or failed for good).</summary>
    public int Attempts { get; init; }

    /// <summary>Gets the time from the item's start to its final answer, retries included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Gets a value indicating whether the item got an answer.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>Returns the answer, or throws the item's error.</summary>
    /// <returns>The answer.</returns>
    /// <exception cref="LocalGatewayException">The item failed.</exception>
    public T GetValueOrThrow() =>
        IsSuccess ? Value : throw (Error.Exception as LocalGatewayException ?? new LocalGatewayException(Error.Message, Error.Exception));
}
