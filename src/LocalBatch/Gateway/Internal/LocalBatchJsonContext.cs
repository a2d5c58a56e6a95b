using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Gateway.Internal;

/// <summary>The one source-generated serializer context of the library: no reflection at run time.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(EmbeddingRequest))]
[JsonSerializable(typeof(EmbeddingResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(GatewayProps))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(GatewayErrorBody))]
internal sealed partial class LocalBatchJsonContext : JsonSerializerContext;
