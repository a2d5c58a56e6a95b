using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>Source-generated JSON of what the dashboard's scripts read, in snake case.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(DashboardBatchList))]
[JsonSerializable(typeof(DashboardBatchDetail))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
