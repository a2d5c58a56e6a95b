using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>llama-server's <c>/props</c>: how the server was started.</summary>
public sealed record GatewayProps
{
    /// <summary>Gets how many requests the server decodes in parallel (its <c>-np</c>).</summary>
    [JsonPropertyName("total_slots")]
    public int TotalSlots { get; init; }

    /// <summary>Gets the path of the loaded model file.</summary>
    [JsonPropertyName("model_path")]
    public string? ModelPath { get; init; }

    /// <summary>Gets the server's build.</summary>
    [JsonPropertyName("build_info")]
    public string? BuildInfo { get; init; }

    /// <summary>Gets any other fields (<c>default_generation_settings</c>, <c>chat_template</c>, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
