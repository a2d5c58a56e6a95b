namespace LocalBatch;

/// <summary>Why one item of a batch got no answer.</summary>
/// <param name="Kind">What kind of failure it was.</param>
/// <param name="StatusCode">The HTTP status the server answered with, or <see langword="null"/> when it did not answer.</param>
/// <param name="Type">llama.cpp's error <c>type</c>, when there was one.</param>
/// <param name="Message">A message a person can act on (never containing the API key).</param>
public sealed record BatchItemError(GatewayErrorKind Kind, int? StatusCode, string? Type, string Message)
{
    /// <summary>Gets the exception behind the error, for logging and diagnosis.</summary>
    public Exception? Exception { get; init; }

    /// <summary>Describes an exception as an item error.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>The error.</returns>
    public static BatchItemError FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is LocalGatewayException gateway
            ? new BatchItemError(gateway.Kind, gateway.StatusCode, gateway.ErrorType, gateway.Message) { Exception = exception }
            : new BatchItemError(GatewayErrorKind.Server, null, exception.GetType().Name, exception.Message) { Exception = exception };
    }

    /// <inheritdoc/>
    public override string ToString() => StatusCode is { } status ? $"{status} {Type}: {Message}" : $"{Kind}: {Message}";
}
