using System.Text.Json;
using LocalBatch.Batches;

namespace LocalBatch.Internal.Batches;

/// <summary>The wire names of <see cref="BatchStatus"/> values (<c>in_progress</c>, …), for messages; taken from the enum's JSON names.</summary>
internal static class BatchStatusNames
{
    public static string Of(BatchStatus status) => JsonSerializer.Serialize(status, BatchJsonContext.Default.BatchStatus).Trim('"');
}
