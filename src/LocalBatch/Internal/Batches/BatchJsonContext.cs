using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Batches;

namespace LocalBatch.Internal.Batches;

/// <summary>
/// The serializer context of OpenAI's Batch API wire format. Unlike the gateway's, it writes null fields:
/// OpenAI's batch objects and result lines always carry every field.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(BatchJob))]
[JsonSerializable(typeof(BatchPage))]
[JsonSerializable(typeof(BatchResultLine))]
[JsonSerializable(typeof(BatchErrors))]
[JsonSerializable(typeof(BatchStatus))]
internal sealed partial class BatchJsonContext : JsonSerializerContext;
