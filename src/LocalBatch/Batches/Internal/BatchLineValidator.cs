using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Checks one line of a batch input file, as bytes: UTF-8 (strictly: no byte is replaced), one JSON object (nesting
/// at most 64 deep), and OpenAI's fields — <c>custom_id</c> a non-empty string, <c>method</c> <c>POST</c>, <c>url</c>
/// a supported endpoint (the same on every line), <c>body</c> an object without <c>stream: true</c> and with the field its
/// endpoint cannot do without when llama-server would not say so itself as a request error (<c>input</c> of a response,
/// <c>messages</c> of an Anthropic message, which llama-server answers with a 500 that a retry would only repeat).
/// </summary>
internal static class BatchLineValidator
{
    /// <summary>The endpoints a batch runs: OpenAI's four, and Anthropic's Messages API as llama-server serves it.</summary>
    public static readonly string[] SupportedEndpoints = ["/v1/completions", "/v1/chat/completions", "/v1/embeddings", "/v1/responses", "/v1/messages"];

    /// <summary>Checks one line; returns the batch endpoint (taken from the first line when none was given).</summary>
    /// <param name="line">The line's bytes, without its end.</param>
    /// <param name="lineNumber">The 1-based line number, for the errors.</param>
    /// <param name="endpoint">The batch endpoint so far, or <see langword="null"/>.</param>
    /// <param name="customIds">Where the line's <c>custom_id</c> is remembered, or <see langword="null"/> not to.</param>
    /// <param name="report">Receives each problem.</param>
    public static string? Validate(ReadOnlyMemory<byte> line, int lineNumber, string? endpoint, CustomIdSet? customIds, Action<BatchValidationError> report)
    {
        if (IndexOfInvalidUtf8(line.Span) is var invalid and >= 0)
        {
            report(new BatchValidationError(
                "invalid_utf8",
                string.Create(CultureInfo.InvariantCulture, $"The line is not valid UTF-8 at byte {invalid + 1} (0x{line.Span[invalid]:X2}); batch files must be UTF-8: save the file as UTF-8."),
                null,
                lineNumber));
            return endpoint;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            report(new BatchValidationError("invalid_json_line", DescribeJsonError(ex), null, lineNumber));
            return endpoint;
        }

        using (document)
        {
            if (IndexOfLoneSurrogateEscape(line.Span) is var escape and >= 0)
            {
                report(new BatchValidationError(
                    "invalid_json_line",
                    string.Create(CultureInfo.InvariantCulture, $"The line is not valid JSON text at byte {escape + 1}: a string escapes half of a UTF-16 surrogate pair (such as \\ud800 alone), which is not Unicode and cannot be sent."),
                    null,
                    lineNumber));
                return endpoint;
            }

            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                report(new BatchValidationError("invalid_json_line", "The line must be a JSON object with custom_id, method, url and body.", null, lineNumber));
                return endpoint;
            }

            CheckCustomId(root, lineNumber, customIds, report);
            CheckMethod(root, lineNumber, report);
            endpoint = CheckUrl(root, lineNumber, endpoint, report);
            CheckBody(root, lineNumber, endpoint, report);
            return endpoint;
        }
    }

    /// <summary>The request's <c>custom_id</c>, or <see langword="null"/> when it has none (or not a non-empty string).</summary>
    public static string? CustomIdOf(JsonElement request) =>
        request.TryGetProperty("custom_id", out var customId) && TextOf(customId) is { Length: > 0 } value ? value : null;

    /// <summary>The 0-based position of the first byte that does not belong to valid UTF-8, or -1 when all is valid.</summary>
    public static int IndexOfInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return -1;
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    /// <summary>
    /// The 0-based position of the first string (or property name) that escapes half of a surrogate pair, or -1. JSON's
    /// grammar allows <c>"\ud800"</c>, but no .NET string holds it and no request carrying it can be written; only
    /// lines with a <c>\u</c> escape are read again to look.
    /// </summary>
    private static int IndexOfLoneSurrogateEscape(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf("\\u"u8) < 0)
        {
            return -1;
        }

        var reader = new Utf8JsonReader(line);
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return (int)reader.TokenStartIndex;
                }
            }
        }

        return -1;
    }

    /// <summary>
    /// The parser's message without its own position (it counts lines within the one line it was given, from 0) or its
    /// advice to the programmer, with the 1-based byte position in the line instead.
    /// </summary>
    private static string DescribeJsonError(JsonException exception)
    {
        var message = exception.Message;
        foreach (var marker in (ReadOnlySpan<string>)[" Path: ", " LineNumber: ", " Change the reader options."])
        {
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = message[..at];
            }
        }

        return exception.BytePositionInLine is { } position
            ? string.Create(CultureInfo.InvariantCulture, $"The line is not valid JSON at byte {position + 1}: {message}")
            : $"The line is not valid JSON: {message}";
    }

    private static void CheckCustomId(JsonElement root, int lineNumber, CustomIdSet? customIds, Action<BatchValidationError> report)
    {
        if (!root.TryGetProperty("custom_id", out var customId))
        {
            report(new BatchValidationError("missing_required_parameter", "custom_id is required: a non-empty string, unique within the file.", "custom_id", lineNumber));
        }
        else if (customId.ValueKind != JsonValueKind.String)
        {
            report(new BatchValidationError("invalid_request", $"custom_id must be a string; got {Describe(customId)}.", "custom_id", lineNumber));
        }
        else if (TextOf(customId) is not { } value)
        {
            report(new BatchValidationError("invalid_request", NotText("custom_id"), "custom_id", lineNumber));
        }
        else if (value.Length > 0)
        {
            customIds?.Add(value);
        }
        else
        {
            report(new BatchValidationError("invalid_request", "custom_id must not be empty.", "custom_id", lineNumber));
        }
    }

    private static void CheckMethod(JsonElement root, int lineNumber, Action<BatchValidationError> report)
    {
        if (!root.TryGetProperty("method", out var method))
        {
            report(new BatchValidationError("missing_required_parameter", "method is required and must be \"POST\".", "method", lineNumber));
        }
        else if (TextOf(method) != "POST")
        {
            report(new BatchValidationError("invalid_method", $"The method must be \"POST\"; got {Describe(method)}.", "method", lineNumber));
        }
    }

    private static string? CheckUrl(JsonElement root, int lineNumber, string? endpoint, Action<BatchValidationError> report)
    {
        var supported = string.Join(", ", SupportedEndpoints);
        if (!root.TryGetProperty("url", out var url))
        {
            report(new BatchValidationError("missing_required_parameter", $"url is required: one of {supported}.", "url", lineNumber));
        }
        else if (TextOf(url) is not { } path || !SupportedEndpoints.Contains(path, StringComparer.Ordinal))
        {
            report(new BatchValidationError("invalid_url", $"The url must be one of {supported}; got {Describe(url)}.", "url", lineNumber));
        }
        else if (endpoint is null)
        {
            endpoint = path;
        }
        else if (path != endpoint)
        {
            report(new BatchValidationError("mismatched_url", $"The url '{path}' differs from the batch endpoint '{endpoint}'; every line must use the same one.", "url", lineNumber));
        }

        return endpoint;
    }

    private static void CheckBody(JsonElement root, int lineNumber, string? endpoint, Action<BatchValidationError> report)
    {
        if (!root.TryGetProperty("body", out var body))
        {
            report(new BatchValidationError("missing_required_parameter", "body is required and must be a JSON object.", "body", lineNumber));
        }
        else if (body.ValueKind != JsonValueKind.Object)
        {
            report(new BatchValidationError("invalid_request", $"body must be a JSON object; got {Describe(body)}.", "body", lineNumber));
        }
        else if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            report(new BatchValidationError("invalid_request", "stream: true is not supported in a batch.", "body.stream", lineNumber));
        }
        else if (RequiredFieldOf(endpoint) is { } required)
        {
            CheckRequiredField(body, required, endpoint!, lineNumber, report);
        }
    }

    private static void CheckRequiredField(JsonElement body, RequiredField field, string endpoint, int lineNumber, Action<BatchValidationError> report)
    {
        if (!body.TryGetProperty(field.Name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            report(new BatchValidationError("missing_required_parameter", $"body.{field.Name} is required for {endpoint}: {field.What}.", "body." + field.Name, lineNumber));
        }
        else if (value.ValueKind != JsonValueKind.Array && !(field.StringToo && value.ValueKind == JsonValueKind.String))
        {
            report(new BatchValidationError("invalid_request", $"body.{field.Name} must be {field.What} for {endpoint}; got {Describe(value)}.", "body." + field.Name, lineNumber));
        }
    }

    /// <summary>
    /// The body field a request to <paramref name="endpoint"/> cannot do without, where the batch checks it: a response's
    /// <c>input</c> (as OpenAI's Batch API does), an Anthropic message's <c>messages</c> (llama-server answers a body
    /// without them with a 500, which is no server fault and must not be retried).
    /// </summary>
    private static RequiredField? RequiredFieldOf(string? endpoint) => endpoint switch
    {
        "/v1/responses" => new RequiredField("input", "a string or an array of input items", StringToo: true),
        "/v1/messages" => new RequiredField("messages", "an array of messages", StringToo: false),
        _ => null,
    };

    /// <summary>
    /// A string value as text, or <see langword="null"/> when it is not a string or not Unicode text: JSON lets a string
    /// escape half of a surrogate pair (<c>"\ud800"</c>), which no .NET string, file name or server can take.
    /// </summary>
    private static string? TextOf(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string NotText(string name) => $"{name} is not valid Unicode text: it escapes half of a UTF-16 surrogate pair.";

    /// <summary>A value as a message shows it: a string quoted (and cut when long), anything else by its kind.</summary>
    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => TextOf(value) is not { } text ? "text that is not valid Unicode" : text.Length > 100 ? $"'{text[..100]}…'" : $"'{text}'",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    /// <summary>A body field an endpoint needs: an array, or also a string.</summary>
    private readonly record struct RequiredField(string Name, string What, bool StringToo);
}
