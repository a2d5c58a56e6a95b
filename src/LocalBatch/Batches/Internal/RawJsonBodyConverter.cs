using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Writes a server's answer body as the bytes it came in: <c>&lt;</c>, <c>&amp;</c>, <c>'</c> and non-ASCII text stay
/// as the server wrote them, never re-escaped (<c>\u003C</c>) by the writer's encoder, so that a grep for what the
/// model said finds it. A body spread over several lines (a pretty-printing server) is written on one line instead, as
/// a JSONL line must be. Reading is <see cref="JsonElement"/>'s own.
/// </summary>
internal sealed class RawJsonBodyConverter : JsonConverter<JsonElement>
{
    /// <inheritdoc/>
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonElement.ParseValue(ref reader);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            value.WriteTo(writer); // throws as the default converter does
            return;
        }

        // The element was parsed, so its bytes are valid JSON; a line break in them can only be whitespace between tokens.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.IndexOfAny((byte)'\n', (byte)'\r') >= 0)
        {
            value.WriteTo(writer);
            return;
        }

        writer.WriteRawValue(raw, skipInputValidation: true);
    }
}
