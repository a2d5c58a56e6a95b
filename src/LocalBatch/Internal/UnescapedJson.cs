using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LocalBatch.Internal;

/// <summary>
/// JSON written for people and their tools to read (result lines, error bodies made here): text as it is, escaping only
/// what JSON requires (quotes, backslashes, control characters), so that <c>&lt;</c>, <c>&amp;</c>, <c>'</c> and accented
/// letters are not turned into <c>\u003C</c>, <c>\u0026</c>, <c>\u0027</c>, <c>\u00E9</c> that a grep misses. Nothing
/// written this way goes into HTML.
/// </summary>
internal static class UnescapedJson
{
    /// <summary>Gets the encoder: System.Text.Json's relaxed one.</summary>
    public static JavaScriptEncoder Encoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Serializes <paramref name="value"/> into a <see cref="JsonElement"/> whose bytes are unescaped text.</summary>
    public static JsonElement SerializeToElement<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Encoder }))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
