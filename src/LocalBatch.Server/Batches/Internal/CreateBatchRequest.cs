using System.Text.Json;
using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LocalBatch.Server.Batches.Internal;

/// <summary>
/// The body of <c>POST /v1/batches</c>: <c>{"input_file_id", "endpoint", "completion_window", "metadata"}</c>. Its
/// shape is checked here, each problem answered with a 400 naming the parameter; the values themselves (supported
/// endpoints, the <c>24h</c> window, metadata limits) are checked by <see cref="LocalBatch.Batches.BatchJobManager"/>.
/// </summary>
/// <param name="InputFileId">The uploaded file to run.</param>
/// <param name="Endpoint">The endpoint of every line.</param>
/// <param name="CompletionWindow">The completion window.</param>
/// <param name="Metadata">The metadata, if any.</param>
internal sealed record CreateBatchRequest(string InputFileId, string Endpoint, string CompletionWindow, IReadOnlyDictionary<string, string>? Metadata)
{
    private const int MaxBodyBytes = 1024 * 1024;

    /// <exception cref="ApiErrorException">The body is too large, not JSON, not an object, or a field is missing or of the wrong type.</exception>
    public static async Task<CreateBatchRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = MaxBodyBytes + OversizedBody.DrainAllowance;
        }

        var bytes = await ReadBodyAsync(request.Body, cancellationToken).ConfigureAwait(false);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw ApiError.BadRequest($"The request body is not valid JSON ({ex.Message}); send {{\"input_file_id\", \"endpoint\", \"completion_window\"}}.", code: "invalid_json").ToException();
        }

        using (document)
        {
            var body = document.RootElement;
            if (body.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest("The request body must be a JSON object with \"input_file_id\", \"endpoint\" and \"completion_window\".", code: "invalid_json").ToException();
            }

            return new CreateBatchRequest(
                RequiredString(body, "input_file_id"),
                RequiredString(body, "endpoint"),
                RequiredString(body, "completion_window"),
                ReadMetadata(body));
        }
    }

    /// <summary>The whole body, when it is at most <see cref="MaxBodyBytes"/>; else the rest is drained (see <see cref="OversizedBody"/>) and a 413 thrown.</summary>
    private static async Task<byte[]> ReadBodyAsync(Stream source, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                await OversizedBody.DrainAsync(source, cancellationToken).ConfigureAwait(false);
                throw ApiError.BodyTooLarge().ToException();
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    private static string RequiredString(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw ApiError.MissingParameter(name).ToException();
        }

        return value.ValueKind == JsonValueKind.String && TextOf(value, name) is { Length: > 0 } text
            ? text
            : throw ApiError.BadRequest($"'{name}' must be a non-empty string.", name, "invalid_type").ToException();
    }

    /// <summary>A JSON string's text; one that is not valid text (invalid UTF-8, or an escaped lone surrogate such as <c>\ud800</c>) is the client's 400.</summary>
    private static string TextOf(JsonElement value, string name)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw NotText(name);
        }
    }

    private static ApiErrorException NotText(string name) =>
        ApiError.BadRequest($"'{name}' is not valid text: it holds invalid UTF-8 or a lone surrogate (such as \\ud800).", name, "invalid_value").ToException();

    private static Dictionary<string, string>? ReadMetadata(JsonElement body)
    {
        if (!body.TryGetProperty("metadata", out var metadata) || metadata.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (metadata.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.BadRequest("'metadata' must be an object of string values.", "metadata", "invalid_type").ToException();
        }

        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in metadata.EnumerateObject())
        {
            string key;
            try
            {
                key = pair.Name;
            }
            catch (InvalidOperationException)
            {
                throw NotText("metadata");
            }

            pairs[key] = pair.Value.ValueKind == JsonValueKind.String
                ? TextOf(pair.Value, "metadata")
                : throw ApiError.BadRequest($"The metadata value of '{key}' must be a string.", "metadata", "invalid_type").ToException();
        }

        return pairs;
    }
}
