namespace LocalBatch.Batches.Internal;

/// <summary>The file ids of a batch's stored files, derived from its id: <c>file-{hex}-input</c>, <c>-output</c>, <c>-errors</c>.</summary>
internal static class BatchFileIds
{
    public static string Input(string batchId) => $"file-{Hex(batchId)}-input";

    public static string Output(string batchId) => $"file-{Hex(batchId)}-output";

    public static string Errors(string batchId) => $"file-{Hex(batchId)}-errors";

    private static string Hex(string batchId) => batchId["batch_".Length..];
}
