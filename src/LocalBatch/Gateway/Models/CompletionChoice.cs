using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>One generated continuation of a <see cref="CompletionResponse"/>.</summary>
public sealed record CompletionChoice
{
    /// <summary>Gets the position of this choice.</summary>
    [JsonPropertyName("index")]
    public int Index { get; init; }

    /// <summary>Gets the generated text.</summary>
    [JsonPropertyName("text")]
    public string? Text { get; init; }

    /// <summary>Gets why generation stopped: <c>stop</c> or <c>length</c>.</summary>
    [JsonPropertyName("finish_reason")]
    public string? FinishReason { get; init; }

    /// <summary>Gets any other fields (<c>logprobs</c>, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
