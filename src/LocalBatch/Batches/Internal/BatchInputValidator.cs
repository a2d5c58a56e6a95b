using System.Text;
using System.Text.Json;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Checks a batch input file line by line, reporting every problem at once with its line number, while
/// copying the lines (normalised to LF) into the store. Nothing is sent for an input with any problem.
/// </summary>
internal static class BatchInputValidator
{
    public static readonly string[] SupportedEndpoints = ["/v1/completions", "/v1/chat/completions", "/v1/embeddings"];

    private const int MaxReportedErrors = 1000;

    public sealed record Result(int LineCount, string? Endpoint, IReadOnlyList<BatchValidationError> Errors);

    /// <summary>
    /// Validates <paramref name="input"/> while copying it to <paramref name="copy"/> (readable and seekable: a file
    /// with repeated ids is read back to name them). Ids are remembered as 16-byte digests, not strings.
    /// </summary>
    public static async Task<Result> ValidateAndCopyAsync(Stream input, Stream copy, string? endpoint, int maxLines, CancellationToken cancellationToken)
    {
        if (!copy.CanRead || !copy.CanSeek)
        {
            throw new ArgumentException("The copy must be readable and seekable.", nameof(copy));
        }

        var errors = new List<BatchValidationError>();
        var customIds = new CustomIdSet();
        var reader = new StreamReader(input, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024, leaveOpen: true);
        var writer = new StreamWriter(copy, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            using (reader)
            {
                var lineNumber = 0;
                var requests = 0;
                var pendingBlank = new List<int>();
                var blankLines = new List<int>();
                var dropped = 0;
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    lineNumber++;
                    if (string.IsNullOrWhiteSpace(line))
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

                    // Past the limit the file fails anyway: its ids are not remembered, so a huge file costs no more memory.
                    endpoint = ValidateLine(line, lineNumber, endpoint, requests <= maxLines ? customIds : null, Add);
                    await writer.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
                }

                customIds.Seal();
                if (customIds.FindRepeated() is { Count: > 0 } repeated)
                {
                    // Found after every other problem, but listed by line with them: the problems listed are the
                    // first ones of the file (the first pass kept its earliest, the second keeps its earliest too).
                    var duplicates = new List<BatchValidationError>();
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await ReportDuplicatesAsync(copy, repeated, blankLines, maxLines, error => AddTo(duplicates, error), cancellationToken).ConfigureAwait(false);
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
        }
    }

    /// <summary>Checks one line; returns the batch endpoint (taken from the first line when none was given).</summary>
    private static string? ValidateLine(string line, int lineNumber, string? endpoint, CustomIdSet? customIds, Action<BatchValidationError> report)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            report(new BatchValidationError("invalid_json_line", $"The line is not valid JSON: {ex.Message}", null, lineNumber));
            return endpoint;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                report(new BatchValidationError("invalid_json_line", "The line must be a JSON object with custom_id, method, url and body.", null, lineNumber));
                return endpoint;
            }

            if (CustomIdOf(root) is { } customId)
            {
                customIds?.Add(customId);
            }
            else
            {
                report(new BatchValidationError("missing_required_parameter", "custom_id is required and must be a non-empty string.", "custom_id", lineNumber));
            }

            if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String)
            {
                report(new BatchValidationError("missing_required_parameter", "method is required and must be \"POST\".", "method", lineNumber));
            }
            else if (method.GetString() != "POST")
            {
                report(new BatchValidationError("invalid_method", $"The method must be POST; got '{method.GetString()}'.", "method", lineNumber));
            }

            if (!root.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String)
            {
                report(new BatchValidationError("missing_required_parameter", "url is required: one of " + string.Join(", ", SupportedEndpoints) + ".", "url", lineNumber));
            }
            else
            {
                var path = url.GetString()!;
                if (!SupportedEndpoints.Contains(path, StringComparer.Ordinal))
                {
                    report(new BatchValidationError("invalid_url", $"The url '{path}' is not supported; use one of {string.Join(", ", SupportedEndpoints)}.", "url", lineNumber));
                }
                else if (endpoint is null)
                {
                    endpoint = path;
                }
                else if (path != endpoint)
                {
                    report(new BatchValidationError("mismatched_url", $"The url '{path}' differs from the batch endpoint '{endpoint}'; every line must use the same one.", "url", lineNumber));
                }
            }

            if (!root.TryGetProperty("body", out var body))
            {
                report(new BatchValidationError("missing_required_parameter", "body is required and must be a JSON object.", "body", lineNumber));
            }
            else if (body.ValueKind != JsonValueKind.Object)
            {
                report(new BatchValidationError("invalid_request", $"body must be a JSON object; got {body.ValueKind}.", "body", lineNumber));
            }
            else if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
            {
                report(new BatchValidationError("invalid_request", "stream: true is not supported in a batch.", "body.stream", lineNumber));
            }

            return endpoint;
        }
    }

    /// <summary>
    /// The second look, only for a file with repeated ids: reads the copy back to name each repeated id and the
    /// lines that repeat it (the first pass remembered 16 bytes an id, not the ids or their lines).
    /// </summary>
    private static async Task ReportDuplicatesAsync(Stream copy, HashSet<CustomIdKey> repeated, List<int> blankLines, int maxLines, Action<BatchValidationError> report, CancellationToken cancellationToken)
    {
        copy.Position = 0;
        var firstLines = new Dictionary<CustomIdKey, int>();
        // No preamble to skip: a line that began with a second BOM was copied with it, and stays invalid here too.
        using (var reader = new StreamReader(copy, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true))
        {
            // The copy has the requests without the blank lines between them: count those back in for line numbers.
            int lineNumber = 0, blank = 0, requests = 0;
            while (requests < maxLines && await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                lineNumber++;
                while (blank < blankLines.Count && blankLines[blank] == lineNumber)
                {
                    lineNumber++;
                    blank++;
                }

                requests++;
                if (ReadCustomId(line) is not { } customId)
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
        }

        copy.Seek(0, SeekOrigin.End);

        static string? ReadCustomId(string line)
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.ValueKind == JsonValueKind.Object ? CustomIdOf(document.RootElement) : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>The request's <c>custom_id</c>, or <see langword="null"/> when it has none (or not a non-empty string).</summary>
    private static string? CustomIdOf(JsonElement request) =>
        request.TryGetProperty("custom_id", out var customId) && customId.ValueKind == JsonValueKind.String && customId.GetString() is { Length: > 0 } value ? value : null;

    /// <summary>Reads a stored (already valid) input line, the <paramref name="index"/>-th request of its batch.</summary>
    public static BatchInputLine ParseStoredLine(string line, int index)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        return new BatchInputLine(index, root.GetProperty("custom_id").GetString()!, root.GetProperty("body").Clone());
    }
}
