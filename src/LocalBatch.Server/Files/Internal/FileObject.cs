using System.Text.Json.Serialization;

namespace LocalBatch.Server.Files.Internal;

/// <summary>
/// OpenAI's file object: <c>{"id", "object": "file", "bytes", "created_at", "filename", "purpose", "status": "processed",
/// "expires_at", "status_details"}</c>. It is also what the store keeps beside an uploaded file's content.
/// </summary>
/// <param name="Id">The file id, <c>file-…</c>.</param>
/// <param name="Bytes">The size of the content.</param>
/// <param name="CreatedAt">When the file was created, in Unix seconds.</param>
/// <param name="Filename">The name the client gave it (a batch's result files get one of their own).</param>
/// <param name="Purpose">One of OpenAI's purposes: <c>batch</c> for an input, <c>batch_output</c> for a batch's results.</param>
internal sealed record FileObject(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("purpose")] string Purpose)
{
    /// <summary>Gets the object type, <c>file</c>.</summary>
    [JsonPropertyName("object")]
    public string Object { get; init; } = "file";

    /// <summary>Gets the status: a stored file is always <c>processed</c>.</summary>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "processed";

    /// <summary>Gets when the retention removes the file, in Unix seconds, or <see langword="null"/> when it is kept until deleted.</summary>
    [JsonPropertyName("expires_at")]
    public long? ExpiresAt { get; init; }

    /// <summary>
    /// Gets the name of the key that uploaded the file (a batch's result files: its batch's owner). Kept in the store;
    /// shown only to admin keys, as an extra field OpenAI's SDKs ignore.
    /// </summary>
    [JsonPropertyName("owner")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Owner { get; init; }

    /// <summary>Gets OpenAI's deprecated status details, always <see langword="null"/>.</summary>
    [JsonPropertyName("status_details")]
    public string? StatusDetails { get; init; }
}
