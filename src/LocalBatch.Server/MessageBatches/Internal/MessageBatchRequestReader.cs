using System.Buffers;
using System.Globalization;
using System.Text.Json;
using LocalBatch.Server.Internal;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>
/// Reads the body of <c>POST /v1/messages/batches</c>, <c>{"requests": [{"custom_id", "params"}, …]}</c>, as it streams
/// in, and writes each request as a line of a batch input file (<c>{"custom_id", "method": "POST", "url":
/// "/v1/messages", "body": params}</c>): memory holds one request at a time, whatever the body's size. Each request is
/// checked as Anthropic checks it before anything runs (a <c>custom_id</c> of 1 to 64 letters, digits, <c>-</c> or
/// <c>_</c>, unique; <c>params</c> an object with <c>max_tokens</c> and <c>messages</c>, not streamed); the first problem
/// is a 400 that names it (<c>requests.3.params.max_tokens: Field required</c>), and a body over Anthropic's limits
/// (100,000 requests, 256 MB) a 400 or 413.
/// </summary>
internal sealed class MessageBatchRequestReader
{
    /// <summary>The most requests a message batch may have, as Anthropic's.</summary>
    public const int MaxRequests = 100_000;

    /// <summary>The largest body accepted, as Anthropic's: 256 MB.</summary>
    public const long MaxBodyBytes = 256L * 1024 * 1024;

    private const int MaxCustomIdLength = 64;
    private const int InitialBufferSize = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _lines = new(InitialBufferSize);
    private readonly HashSet<string> _customIds = new(StringComparer.Ordinal);
    private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = 64 });
    private Phase _phase = Phase.Start;
    private bool _sawRequests;

    private enum Phase
    {
        Start,
        Root,
        RequestsValue,
        Requests,
        End,
    }

    /// <summary>Gets how many requests were read.</summary>
    public int Count { get; private set; }

    /// <summary>Reads the whole body and writes the input lines to <paramref name="output"/>.</summary>
    /// <returns>The number of requests.</returns>
    /// <exception cref="ApiErrorException">The body is not a valid batch (400), or is too large (413).</exception>
    public static async Task<int> ConvertAsync(Stream body, Stream output, CancellationToken cancellationToken)
    {
        var reader = new MessageBatchRequestReader();
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            var filled = 0;
            long total = 0;
            var final = false;
            while (true)
            {
                if (!final)
                {
                    if (filled == buffer.Length)
                    {
                        buffer = Grow(buffer, filled);
                    }

                    var read = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                    total += read;
                    if (total > MaxBodyBytes)
                    {
                        throw TooLarge().ToException();
                    }

                    filled += read;
                    final = read == 0;
                }

                var consumed = reader.Read(buffer.AsSpan(0, filled), final);
                if (reader._lines.WrittenCount > 0)
                {
                    await output.WriteAsync(reader._lines.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    reader._lines.ResetWrittenCount();
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
                if (reader._phase == Phase.End)
                {
                    return reader.Count;
                }

                if (final)
                {
                    throw Invalid("The request body ends before its JSON does.");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The error a body over <see cref="MaxBodyBytes"/> gets.</summary>
    public static ApiError TooLarge() =>
        ApiError.TooLarge(string.Create(CultureInfo.InvariantCulture, $"The request body is larger than a message batch may be ({MaxBodyBytes} bytes)."));

    private static byte[] Grow(byte[] buffer, int filled)
    {
        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, filled).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    private static ApiErrorException Invalid(string message) => ApiError.BadRequest(message).ToException();

    /// <summary>Reads what it can of the bytes so far; returns how many are done with (the rest is kept for the next call).</summary>
    private int Read(ReadOnlySpan<byte> bytes, bool final)
    {
        var reader = new Utf8JsonReader(bytes, final, _state);
        try
        {
            while (_phase != Phase.End)
            {
                // Where to come back to when a whole value is not there yet.
                var checkpoint = reader.BytesConsumed;
                var state = reader.CurrentState;
                if (!reader.Read())
                {
                    break;
                }

                if (!Step(ref reader, bytes))
                {
                    _state = state;
                    return (int)checkpoint;
                }
            }

            if (_phase == Phase.End && final && reader.Read())
            {
                throw Invalid("The request body has more after its JSON object.");
            }
        }
        catch (JsonException ex)
        {
            throw Invalid($"The request body is not valid JSON: {ex.Message}");
        }

        _state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    /// <summary>Takes the token just read; <see langword="false"/> when the value it starts is not all there yet.</summary>
    private bool Step(ref Utf8JsonReader reader, ReadOnlySpan<byte> bytes)
    {
        switch (_phase)
        {
            case Phase.Start:
                _phase = reader.TokenType == JsonTokenType.StartObject
                    ? Phase.Root
                    : throw Invalid("The request body must be a JSON object: {\"requests\": [{\"custom_id\", \"params\"}, …]}.");
                return true;

            case Phase.Root when reader.TokenType == JsonTokenType.EndObject:
                _phase = _sawRequests ? Phase.End : throw Invalid("requests: Field required");
                return true;

            case Phase.Root when reader.ValueTextEquals("requests"u8):
                _phase = _sawRequests ? throw Invalid("requests: given more than once") : Phase.RequestsValue;
                return true;

            case Phase.Root:
                // Another field: skipped whole (Anthropic's create has none besides requests).
                return reader.Read() && reader.TrySkip();

            case Phase.RequestsValue:
                _phase = reader.TokenType == JsonTokenType.StartArray ? Phase.Requests : throw Invalid("requests: Input should be a valid list");
                _sawRequests = true;
                return true;

            case Phase.Requests when reader.TokenType == JsonTokenType.EndArray:
                _phase = Count > 0 ? Phase.Root : throw Invalid("requests: List should have at least 1 item after validation, not 0");
                return true;

            default:
                var start = (int)reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
                {
                    return false;
                }

                AddRequest(bytes[start..(int)reader.BytesConsumed]);
                return true;
        }
    }

    private void AddRequest(ReadOnlySpan<byte> json)
    {
        var index = Count;
        if (index == MaxRequests)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"requests: a message batch may have at most {MaxRequests} requests."));
        }

        using var document = JsonDocument.Parse(json.ToArray());
        var request = document.RootElement;
        var at = string.Create(CultureInfo.InvariantCulture, $"requests.{index}");
        if (request.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"{at}: Input should be a valid dictionary");
        }

        var customId = CheckCustomId(request, at);
        var parameters = CheckParams(request, at);
        var writer = new Utf8JsonWriter(_lines);
        using (writer)
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id", customId);
            writer.WriteString("method", "POST");
            writer.WriteString("url", MessageBatchEndpoints.GatewayPath);
            writer.WritePropertyName("body");
            parameters.WriteTo(writer);
            writer.WriteEndObject();
        }

        _lines.Write("\n"u8);
        Count++;
    }

    private string CheckCustomId(JsonElement request, string at)
    {
        if (!request.TryGetProperty("custom_id", out var value))
        {
            throw Invalid($"{at}.custom_id: Field required");
        }

        var customId = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid($"{at}.custom_id: Input should be a valid string");
        if (customId.Length is 0 or > MaxCustomIdLength || !customId.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw Invalid($"{at}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'");
        }

        return _customIds.Add(customId) ? customId : throw Invalid($"{at}.custom_id: '{customId}' is used by an earlier request; each custom_id must be unique within the batch.");
    }

    private static JsonElement CheckParams(JsonElement request, string at)
    {
        if (!request.TryGetProperty("params", out var parameters))
        {
            throw Invalid($"{at}.params: Field required");
        }

        if (parameters.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"{at}.params: Input should be a valid dictionary");
        }

        if (!parameters.TryGetProperty("max_tokens", out var maxTokens))
        {
            throw Invalid($"{at}.params.max_tokens: Field required");
        }

        if (maxTokens.ValueKind != JsonValueKind.Number || !maxTokens.TryGetInt64(out var count) || count < 1)
        {
            throw Invalid($"{at}.params.max_tokens: Input should be a whole number of at least 1");
        }

        if (!parameters.TryGetProperty("messages", out var messages))
        {
            throw Invalid($"{at}.params.messages: Field required");
        }

        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw Invalid($"{at}.params.messages: Input should be a list of at least 1 message");
        }

        if (parameters.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            throw Invalid($"{at}.params.stream: streaming is not supported in a message batch");
        }

        return parameters;
    }
}
