using System.Globalization;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Cli.Output;

/// <summary>
/// What the default verbosity says for the library's log events (their ids and fields are those of its <c>Log</c>
/// class): a sentence for a person, built from the event's fields, never from a request body.
/// </summary>
internal static class StatusMessages
{
    /// <summary>A request is retried after a transient failure.</summary>
    public const int RetryingRequest = 1;

    private const int ConcurrencyFallback = 8;
    private const int ServerLeftRotation = 9;
    private const int ServerRejoinedRotation = 10;
    private const int BatchRunFailed = 30;

    /// <summary>The status line for an event at the default verbosity, or <see langword="null"/> to say nothing.</summary>
    /// <param name="eventId">The event's id.</param>
    /// <param name="level">The event's level.</param>
    /// <param name="values">The event's fields.</param>
    /// <param name="message">The event's own message, for the warnings without a sentence of their own.</param>
    public static string? Describe(int eventId, LogLevel level, IReadOnlyList<KeyValuePair<string, object?>> values, Func<string> message) => eventId switch
    {
        RetryingRequest => string.Create(
            CultureInfo.InvariantCulture,
            $"retrying {Value(values, "Method")} {Value(values, "Path")} in {FormatDelay(values)} (retry {Value(values, "Attempt")}): {Value(values, "Reason")}"),
        ServerLeftRotation => Value(values, "Reason") switch
        {
            "Loading" => $"{Value(values, "Server")}: the model is loading (503); waiting for it",
            "Unreachable" => $"{Value(values, "Server")} does not answer; waiting for it (retrying with back-off)",
            _ => $"{Value(values, "Server")} failed several requests in a row; waiting for its /health to answer",
        },
        ServerRejoinedRotation => $"{Value(values, "Server")} answers again",
        ConcurrencyFallback => $"{Value(values, "Server")}: /props could not be read ({Value(values, "Reason")}); its concurrency is found from latency",

        // The command says itself why a run stopped.
        BatchRunFailed => null,
        _ when level >= LogLevel.Warning => message(),
        _ => null,
    };

    /// <summary>The value of an event's field, as text.</summary>
    public static string Value(IReadOnlyList<KeyValuePair<string, object?>> values, string name)
    {
        foreach (var (key, value) in values)
        {
            if (key == name)
            {
                return Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            }
        }

        return string.Empty;
    }

    private static string FormatDelay(IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        var milliseconds = double.TryParse(Value(values, "DelayMs"), NumberStyles.Float, CultureInfo.InvariantCulture, out var delay) ? delay : 0;
        return milliseconds >= 1000
            ? string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 1000:0.0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{milliseconds:0} ms");
    }
}
