using System.Text.Json.Serialization;

namespace LocalBatch.Cli.Run;

/// <summary>The tool's own JSON (source-generated, like the library's): the run summary, and the result files it wrote.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RunSummary))]
[JsonSerializable(typeof(Dictionary<string, OutputStamp>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
