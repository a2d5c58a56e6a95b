using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.MessageBatches.Internal;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Source-generated JSON of the server's own wire types (files, message batches and errors), OpenAI's and Anthropic's
/// shapes with every null written.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(ApiErrorResponse))]
[JsonSerializable(typeof(FileObject))]
[JsonSerializable(typeof(FileList))]
[JsonSerializable(typeof(FileDeleted))]
[JsonSerializable(typeof(AnthropicErrorResponse))]
[JsonSerializable(typeof(MessageBatch))]
[JsonSerializable(typeof(MessageBatchList))]
[JsonSerializable(typeof(DeletedMessageBatch))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
