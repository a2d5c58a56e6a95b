using System.Text.Json;

namespace LocalBatch.Batches.Internal;

/// <summary>One validated request of a batch's input: its place among the requests, its <c>custom_id</c> and the body to send.</summary>
internal sealed record BatchInputLine(int Index, string CustomId, JsonElement Body);
