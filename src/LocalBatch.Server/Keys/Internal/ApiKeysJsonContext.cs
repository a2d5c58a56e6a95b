using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Server.Keys.Internal;

/// <summary>Source-generated JSON of the keys file: indented, comments and trailing commas allowed when read.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ApiKeysDocument))]
internal sealed partial class ApiKeysJsonContext : JsonSerializerContext;
