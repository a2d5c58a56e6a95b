using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// Source-generated JSON metadata for the gateway client's wire types (requests, responses, models, <c>/props</c>, error
/// bodies): no reflection at run time. The Batch API's wire types have the public <see cref="Batches.BatchJsonContext"/>.
/// </summary>
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
