using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Gateway.Internal;

namespace LocalBatch;

/// <summary>A request to <c>/v1/embeddings</c>: embed one text or many in one call.</summary>
public sealed record EmbeddingRequest
{
    /// <summary>Gets the model name; <see langword="null"/> uses <see cref="LocalBatchOptions.DefaultModel"/>.</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>Gets the texts to embed. Read from JSON as either one string or an array of strings; always sent as an array.</summary>
    [JsonPropertyName("input")]
    [JsonConverter(typeof(StringOrStringArrayConverter))]
    public required IReadOnlyList<string> Input { get; init; }

    /// <summary>Gets the encoding of the vectors in the answer: <c>float</c> (default) or <c>base64</c>. Both are decoded to floats.</summary>
    [JsonPropertyName("encoding_format")]
    public string? EncodingFormat { get; init; }

    /// <summary>Gets any other fields, sent as they are.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
