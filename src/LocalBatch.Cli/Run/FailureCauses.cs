using System.Globalization;
using System.Text.Json;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <summary>
/// The main causes of a run's failed lines, counted from its error file by <see cref="BatchResultLine.FailureCause"/>
/// (<c>20 × 404 not_found_error</c>), so that the summary says why lines failed and not only how many.
/// </summary>
internal static class FailureCauses
{
    /// <summary>How many causes the summary line names; the rest are counted together.</summary>
    public const int Named = 3;

    private const int MaxMessageLength = 120;

    /// <summary>Counts the failed lines of the error file by cause, the most frequent first (none when it does not exist).</summary>
    public static IReadOnlyList<FailureCause> Count(string errorPath)
    {
        var causes = new Dictionary<string, FailureCause>(StringComparer.Ordinal);
        foreach (var bytes in JsonlLines.Read(errorPath))
        {
            BatchResultLine? line;
            try
            {
                line = JsonSerializer.Deserialize(bytes.Span, BatchJsonContext.Default.BatchResultLine);
            }
            catch (JsonException)
            {
                continue;
            }

            if (line?.FailureCause is { } cause)
            {
                causes[cause] = causes.TryGetValue(cause, out var seen)
                    ? seen with { Count = seen.Count + 1 }
                    : new FailureCause(cause, 1, line.FailureMessage);
            }
        }

        return [.. causes.Values.OrderByDescending(static cause => cause.Count).ThenBy(static cause => cause.Cause, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The causes as one line: <c>failed lines by cause: 20 × 404 not_found_error (File Not Found)</c>, the first
    /// <see cref="Named"/> with the first message of each, then how many lines the others failed, and a hint where one helps.
    /// </summary>
    public static string Describe(IReadOnlyList<FailureCause> causes)
    {
        var named = causes.Take(Named).Select(static cause =>
            string.Create(CultureInfo.InvariantCulture, $"{cause.Count} × {cause.Cause}{(cause.Message is { Length: > 0 } message ? $" ({Shorten(message)})" : string.Empty)}"));
        var others = causes.Skip(Named).ToList();
        var rest = others.Count == 0
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"; {others.Sum(static cause => cause.Count)} × {others.Count} other causes");
        var hint = causes.Count > 0 && causes[0].Cause.StartsWith("404", StringComparison.Ordinal)
            ? ". A 404 for a request usually means that --endpoint is not the server's base address (such as http://localhost:8080)"
            : string.Empty;
        return "failed lines by cause: " + string.Join("; ", named) + rest + hint;
    }

    private static string Shorten(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length <= MaxMessageLength ? line : line[..MaxMessageLength] + "…";
    }
}
