using System.Text.Json.Serialization;

namespace LocalBatch.Cli.Run;

/// <summary>The tool's own JSON (source-generated, like the library's): the run summary.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RunSummary))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
