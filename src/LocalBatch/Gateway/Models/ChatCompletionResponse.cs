using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>The answer of <c>/v1/chat/completions</c>.</summary>
public sealed record ChatCompletionResponse
{
    /// <summary>Gets the answer's id.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>Gets the object type, <c>chat.completion</c>.</summary>
    [JsonPropertyName("object")]
    public string? Object { get; init; }

    /// <summary>Gets when the answer was made, in Unix seconds.</summary>
    [JsonPropertyName("created")]
    public long Created { get; init; }

    /// <summary>Gets the model that answered.</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>Gets the server build that answered.</summary>
    [JsonPropertyName("system_fingerprint")]
    public string? SystemFingerprint { get; init; }

    /// <summary>Gets the generated choices.</summary>
    [JsonPropertyName("choices")]
    public IReadOnlyList<ChatChoice> Choices { get; init; } = [];

    /// <summary>Gets the token counts.</summary>
    [JsonPropertyName("usage")]
    public Usage? Usage { get; init; }

    /// <summary>Gets any other fields (llama.cpp's <c>timings</c>, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }

    /// <summary>Gets the content of the first choice's message, or <see langword="null"/> when there is none.</summary>
    [JsonIgnore]
    public string? Content => Choices.Count > 0 ? Choices[0].Message?.Content : null;
}
