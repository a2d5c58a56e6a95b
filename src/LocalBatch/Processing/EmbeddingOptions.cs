using System.Text.Json;

namespace LocalBatch;

/// <summary>Settings of an embeddings batch.</summary>
public sealed record EmbeddingOptions
{
    /// <summary>Gets the model name; <see langword="null"/> uses <see cref="LocalBatchOptions.DefaultModel"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the wire encoding of the vectors: <c>float</c> or <c>base64</c> (smaller on the wire); both are decoded to floats.</summary>
    public string? EncodingFormat { get; init; }

    /// <summary>Gets other fields sent with every chunk.</summary>
    public IDictionary<string, JsonElement>? AdditionalProperties { get; init; }
}
