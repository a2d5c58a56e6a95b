using System.Text.Json.Serialization;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>The answer to a deletion: <c>{"id", "type": "message_batch_deleted"}</c>.</summary>
/// <param name="Id">The deleted batch's id.</param>
internal sealed record DeletedMessageBatch([property: JsonPropertyName("id")] string Id)
{
    /// <summary>Gets the object type: always <c>message_batch_deleted</c>.</summary>
    [JsonPropertyName("type")]
    public string Type => "message_batch_deleted";
}
