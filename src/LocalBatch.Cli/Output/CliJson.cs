using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Output;

/// <summary>
/// The batch objects and result lines the tool prints, in OpenAI's JSON, with text as it is: <c>&lt;</c>, <c>&amp;</c>,
/// <c>'</c> and accented letters are not escaped as <c>\u003C</c>, <c>\u0026</c>, <c>\u0027</c>, so that a grep finds
/// them (an answer's body is the server's bytes either way).
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions s_options = new(BatchJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One line of JSON.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)s_options.GetTypeInfo(typeof(T)));
}
