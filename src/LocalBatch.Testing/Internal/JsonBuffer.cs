using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LocalBatch.Testing.Internal;

/// <summary>Writes JSON with <see cref="Utf8JsonWriter"/> into a byte array, without reflection.</summary>
internal static class JsonBuffer
{
    // Like llama-server (nlohmann::json): only quotes, backslashes and control characters are escaped.
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            write(writer, state);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
