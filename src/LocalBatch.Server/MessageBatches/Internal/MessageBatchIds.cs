namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>
/// A message batch's id is its store batch's id under Anthropic's prefix: <c>batch_X</c> is <c>msgbatch_X</c>. One batch,
/// two names: the OpenAI routes and <c>localbatch batches</c> show it as <c>batch_X</c>.
/// </summary>
internal static class MessageBatchIds
{
    private const string Prefix = "msgbatch_";
    private const string StorePrefix = "batch_";

    public static string FromBatchId(string batchId) => Prefix + batchId[StorePrefix.Length..];

    /// <summary>The store batch id of a message batch id, or <see langword="null"/> when it is not one.</summary>
    public static string? ToBatchId(string messageBatchId) =>
        messageBatchId.StartsWith(Prefix, StringComparison.Ordinal) && messageBatchId.Length > Prefix.Length
            ? StorePrefix + messageBatchId[Prefix.Length..]
            : null;
}
