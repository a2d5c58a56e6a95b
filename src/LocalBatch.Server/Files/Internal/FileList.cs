using System.Text.Json.Serialization;

namespace LocalBatch.Server.Files.Internal;

/// <summary>One page of files: <c>{"object": "list", "data", "first_id", "last_id", "has_more"}</c>.</summary>
/// <param name="Data">The files on this page.</param>
/// <param name="FirstId">The id of the first file on the page.</param>
/// <param name="LastId">The id of the last file on the page; pass it as <c>after</c> for the next page.</param>
/// <param name="HasMore">Whether more files follow.</param>
internal sealed record FileList(
    [property: JsonPropertyName("data")] IReadOnlyList<FileObject> Data,
    [property: JsonPropertyName("first_id")] string? FirstId,
    [property: JsonPropertyName("last_id")] string? LastId,
    [property: JsonPropertyName("has_more")] bool HasMore)
{
    /// <summary>Gets the object type, <c>list</c>.</summary>
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object { get; init; } = "list";
}
