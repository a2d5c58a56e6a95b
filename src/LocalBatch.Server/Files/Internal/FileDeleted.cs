using System.Text.Json.Serialization;

namespace LocalBatch.Server.Files.Internal;

/// <summary>The answer to a deletion: <c>{"id", "object": "file", "deleted": true}</c>.</summary>
/// <param name="Id">The deleted file's id.</param>
internal sealed record FileDeleted([property: JsonPropertyName("id")] string Id)
{
    /// <summary>Gets the object type, <c>file</c>.</summary>
    [JsonPropertyName("object")]
    public string Object { get; init; } = "file";

    /// <summary>Gets a value indicating whether the file was deleted: always <see langword="true"/>.</summary>
    [JsonPropertyName("deleted")]
    public bool Deleted { get; init; } = true;
}
