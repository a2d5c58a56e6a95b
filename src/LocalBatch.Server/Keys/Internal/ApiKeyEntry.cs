using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Server.Keys.Internal;

/// <summary>
/// One key of the keys file: <c>{"name", "key_sha256", "admin", "max_running_batches", "max_stored_bytes"}</c>. The key
/// itself is never stored, only the lowercase hex SHA-256 of its UTF-8 bytes. Fields this version does not know are kept.
/// </summary>
internal sealed class ApiKeyEntry
{
    /// <summary>Gets the key's name: the owner of everything the key uploads or creates.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>Gets the SHA-256 of the key, 64 hex digits.</summary>
    [JsonPropertyName("key_sha256")]
    public string? KeySha256 { get; init; }

    /// <summary>Gets a value indicating whether the key sees and acts on everything, whoever owns it.</summary>
    [JsonPropertyName("admin")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Admin { get; init; }

    /// <summary>Gets the most unfinished batches the key may have at once; more is a 429.</summary>
    [JsonPropertyName("max_running_batches")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxRunningBatches { get; init; }

    /// <summary>Gets the most bytes the key's uploaded files may hold together; more is a 400.</summary>
    [JsonPropertyName("max_stored_bytes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? MaxStoredBytes { get; init; }

    /// <summary>Gets the fields this version does not know, written back as they were.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
