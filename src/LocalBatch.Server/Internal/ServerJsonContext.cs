using System.Text.Json;
using System.Text.Json.Serialization;
using LocalBatch.Server.Files.Internal;

namespace LocalBatch.Server.Internal;

/// <summary>Source-generated JSON of the server's own wire types (files and errors), OpenAI's shapes with every null written.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(ApiErrorResponse))]
[JsonSerializable(typeof(FileObject))]
[JsonSerializable(typeof(FileList))]
[JsonSerializable(typeof(FileDeleted))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
