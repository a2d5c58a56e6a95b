using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch.Server.Keys.Internal;

/// <summary>The keys file: <c>{"keys": [ … ]}</c> (see <see cref="ApiKeyEntry"/>); other fields are kept.</summary>
internal sealed class ApiKeysDocument
{
    /// <summary>Gets the keys, in the file's order.</summary>
    [JsonPropertyName("keys")]
    public List<ApiKeyEntry> Keys { get; init; } = [];

    /// <summary>Gets the fields this version does not know, written back as they were.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
