using System.Globalization;
using System.Text.Json;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Checks a batch input file line by line, reporting every problem at once with its line number, while
/// copying the lines (byte for byte, their ends normalised to LF, without the UTF-8 byte order mark) into the
/// store. Nothing is sent for an input with any problem.
/// </summary>
internal static class BatchInputValidator
{
    private const int MaxReportedErrors = 1000;

    private static readonly byte[] LineFeed = [(byte)'\n'];
    private static readonly byte[] EmptyRequest = "{}\n"u8.ToArray();

    public sealed record Result(int LineCount, string? Endpoint, IReadOnlyList<BatchValidationError> Errors);

    /// <summary>
    /// Validates <paramref name="input"/> while copying it to <paramref name="copy"/> (readable and seekable: a file
    /// with repeated ids is read back to name them). Ids are remembered as 16-byte digests, not strings; a line is
    /// kept in memory only up to <paramref name="maxLineBytes"/>, a longer one is only measured.
    /// </summary>
    public static async Task<Result> ValidateAndCopyAsync(Stream input, Stream copy, string? endpoint, int maxLines, int maxLineBytes, CancellationToken cancellationToken)
    {
        if (!copy.CanRead || !copy.CanSeek)
        {
            throw new ArgumentException("The copy must be readable and seekable.", nameof(copy));
        }

        var errors = new List<BatchValidationError>();
        var customIds = new CustomIdSet();
        var reader = new JsonlLineReader(input, maxLineBytes);
        var lineNumber = 0;
        var requests = 0;
        var pendingBlank = new List<int>();
        var blankLines = new List<int>();
        var dropped = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
        {
            lineNumber++;
            if (reader.ForeignByteOrderMark is { } encoding)
            {
                // Every line would be garbage: one error says what is wrong with the file.
                Add(new BatchValidationError("unsupported_encoding", $"The file is {encoding} (it starts with that byte order mark); batch files must be UTF-8: save the file as UTF-8.", null, 1));
                return new Result(0, endpoint, errors);
            }

            if (!reader.IsTooLarge && IsBlank(reader.Line.Span))
            {
                // Blank lines are only an error when a request follows them: a trailing one is accepted.
                pendingBlank.Add(lineNumber);
                blankLines.Add(lineNumber);
                continue;
            }

            foreach (var blank in pendingBlank)
            {
                Add(new BatchValidationError("invalid_json_line", "The line is empty; every line must be one JSON request.", null, blank));
            }

            pendingBlank.Clear();
            requests++;
            if (requests == maxLines + 1)
            {
                Add(new BatchValidationError("too_many_tasks", $"The file has more than {maxLines} requests, the most one batch may have.", null, lineNumber));
            }

            if (reader.IsTooLarge)
            {
                // Not kept, not copied: the batch fails anyway. An empty object keeps the copy's line count.
                Add(new BatchValidationError(
                    "line_too_large",
                    string.Create(CultureInfo.InvariantCulture, $"The line has {reader.Length:N0} bytes, more than the {maxLineBytes:N0} a line may have (BatchJobManagerOptions.MaxLineBytes)."),
                    null,
                    lineNumber));
                await copy.WriteAsync(EmptyRequest, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Past the limit the file fails anyway: its ids are not remembered, so a huge file costs no more memory.
            endpoint = BatchLineValidator.Validate(reader.Line, lineNumber, endpoint, requests <= maxLines ? customIds : null, Add);
            await copy.WriteAsync(reader.Line, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(LineFeed, cancellationToken).ConfigureAwait(false);
        }

        customIds.Seal();
        if (customIds.FindRepeated() is { Count: > 0 } repeated)
        {
            // Found after every other problem, but listed by line with them: the problems listed are the
            // first ones of the file (the first pass kept its earliest, the second keeps its earliest too).
            var duplicates = new List<BatchValidationError>();
            await copy.FlushAsync(cancellationToken).ConfigureAwait(false);
            await ReportDuplicatesAsync(copy, repeated, blankLines, maxLines, maxLineBytes, error => AddTo(duplicates, error), cancellationToken).ConfigureAwait(false);
            var merged = errors.Concat(duplicates).OrderBy(error => error.Line).ToList();
            dropped += Math.Max(0, merged.Count - MaxReportedErrors);
            errors = merged.Take(MaxReportedErrors).ToList();
        }

        if (requests == 0)
        {
            Add(new BatchValidationError("empty_file", "The input file has no requests.", null, null));
        }

        if (dropped > 0)
        {
            errors.Add(new BatchValidationError("too_many_errors", $"{dropped} more problems were found and not listed.", null, null));
        }

        return new Result(requests, endpoint, errors);

        void Add(BatchValidationError error) => AddTo(errors, error);

        // Keeps a list's first MaxReportedErrors problems and counts the rest.
        void AddTo(List<BatchValidationError> list, BatchValidationError error)
        {
            if (list.Count < MaxReportedErrors)
            {
                list.Add(error);
            }
            else
            {
                dropped++;
            }
        }
    }

    /// <summary>Whether a line holds only spaces and tabs (or nothing).</summary>
    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0;

    /// <summary>
    /// The second look, only for a file with repeated ids: reads the copy back to name each repeated id and the
    /// lines that repeat it (the first pass remembered 16 bytes an id, not the ids or their lines).
    /// </summary>
    private static async Task ReportDuplicatesAsync(Stream copy, HashSet<CustomIdKey> repeated, List<int> blankLines, int maxLines, int maxLineBytes, Action<BatchValidationError> report, CancellationToken cancellationToken)
    {
        copy.Position = 0;
        var firstLines = new Dictionary<CustomIdKey, int>();
        // No byte order mark to skip: a line that began with a second one was copied with it, and stays invalid here too.
        var reader = new JsonlLineReader(copy, maxLineBytes, skipByteOrderMark: false);

        // The copy has the requests without the blank lines between them: count those back in for line numbers.
        int lineNumber = 0, blank = 0, requests = 0;
        while (requests < maxLines && await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
        {
            lineNumber++;
            while (blank < blankLines.Count && blankLines[blank] == lineNumber)
            {
                lineNumber++;
                blank++;
            }

            requests++;
            if (ReadCustomId(reader.Line) is not { } customId)
            {
                continue;
            }

            var key = CustomIdKey.Of(customId);
            if (!repeated.Contains(key))
            {
                continue;
            }

            if (!firstLines.TryAdd(key, lineNumber))
            {
                report(new BatchValidationError("duplicate_custom_id", $"The custom_id '{customId}' is already used by line {firstLines[key]}; each must be unique within the file.", "custom_id", lineNumber));
            }
        }

        copy.Seek(0, SeekOrigin.End);

        // The id of a line the first pass accepted as UTF-8 and JSON; null for the others, whose ids it did not count.
        static string? ReadCustomId(ReadOnlyMemory<byte> line)
        {
            if (BatchLineValidator.IndexOfInvalidUtf8(line.Span) >= 0)
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.ValueKind == JsonValueKind.Object ? BatchLineValidator.CustomIdOf(document.RootElement) : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>Reads a stored (already valid) input line, the <paramref name="index"/>-th request of its batch.</summary>
    public static BatchInputLine ParseStoredLine(ReadOnlyMemory<byte> line, int index)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        return new BatchInputLine(index, root.GetProperty("custom_id").GetString()!, root.GetProperty("body").Clone());
    }
}
