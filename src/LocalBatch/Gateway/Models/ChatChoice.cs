using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>One generated answer of a <see cref="ChatCompletionResponse"/>.</summary>
public sealed record ChatChoice
{
    /// <summary>Gets the position of this choice.</summary>
    [JsonPropertyName("index")]
    public int Index { get; init; }

    /// <summary>Gets the assistant's message.</summary>
    [JsonPropertyName("message")]
    public ChatCompletionMessage? Message { get; init; }

    /// <summary>Gets why generation stopped: <c>stop</c>, <c>length</c> or <c>tool_calls</c>.</summary>
    [JsonPropertyName("finish_reason")]
    public string? FinishReason { get; init; }

    /// <summary>Gets any other fields (<c>logprobs</c>, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
