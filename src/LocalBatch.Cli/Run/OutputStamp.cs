using System.Text.Json.Serialization;

namespace LocalBatch.Cli.Run;

/// <summary>A result file as the tool left it: its length and last write time (UTC ticks).</summary>
/// <param name="Length">The length in bytes.</param>
/// <param name="Modified">The last write time, in UTC ticks.</param>
internal sealed record OutputStamp(
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("modified")] long Modified)
{
    /// <summary>The stamp of an existing file as it is now.</summary>
    public static OutputStamp Of(FileInfo file) => new(file.Length, file.LastWriteTimeUtc.Ticks);
}
