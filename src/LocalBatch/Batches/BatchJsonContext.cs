using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>
/// Source-generated JSON metadata for OpenAI's Batch API wire types: batch objects, pages, result lines and
/// validation errors. Serializing with it gives OpenAI's JSON exactly (snake_case, every null field written) and
/// needs no reflection, so it is safe under trimming and native AOT.
/// </summary>
/// <example>
/// <code>
/// string json = JsonSerializer.Serialize(batch, BatchJsonContext.Default.BatchJob);
/// </code>
/// </example>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(BatchJob))]
[JsonSerializable(typeof(BatchPage))]
[JsonSerializable(typeof(BatchResultLine))]
[JsonSerializable(typeof(BatchErrors))]
[JsonSerializable(typeof(BatchStatus))]
[SuppressMessage("ApiDesign", "RS0041:Public members should not use oblivious types", Justification =
    "The generator declares each JsonTypeInfo<T> property nullable-oblivious on purpose (dotnet/runtime#95341); PublicAPI.Shipped.txt lists them with '~'.")]
public sealed partial class BatchJsonContext : JsonSerializerContext;
