using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Batches;

namespace LocalBatch.Cli;

/// <summary>
/// The tool's serializer context for OpenAI's Batch API wire format, with the same settings as the library's:
/// null fields are written, because OpenAI's batch objects and result lines always carry every field.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(BatchJob))]
[JsonSerializable(typeof(BatchPage))]
[JsonSerializable(typeof(BatchResultLine))]
[JsonSerializable(typeof(BatchStatus))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Gets a status's wire name, such as <c>in_progress</c>.</summary>
    public static string StatusName(BatchStatus status) =>
        JsonSerializer.Serialize(status, Default.BatchStatus).Trim('"');
}
