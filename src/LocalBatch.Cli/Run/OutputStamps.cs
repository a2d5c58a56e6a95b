using System.Text.Json;

namespace LocalBatch.Cli.Run;

/// <summary>
/// What <c>localbatch run</c> last wrote at each result path — the file's length and last write time — kept in the
/// state directory's <c>outputs.json</c>, so that a later run tells a result file the user changed or removed since,
/// and says so before writing it again from the store. Losing it (a damaged file, two runs saving at once) loses that
/// word only, never a result: every run writes its result files from the store whatever this says.
/// </summary>
internal sealed class OutputStamps
{
    private const string FileName = "outputs.json";

    private readonly string _path;
    private readonly Dictionary<string, OutputStamp> _stamps;

    private OutputStamps(string path, Dictionary<string, OutputStamp> stamps)
    {
        _path = path;
        _stamps = stamps;
    }

    /// <summary>What became of a result file since the tool last wrote it.</summary>
    public enum Change
    {
        /// <summary>As the tool left it, or never written by it at this path.</summary>
        None,

        /// <summary>Its length or last write time differs from what the tool left.</summary>
        Changed,

        /// <summary>It no longer exists.</summary>
        Missing,
    }

    /// <summary>Reads the stamps of a state directory (none when it has none, or they cannot be read).</summary>
    public static OutputStamps Read(string stateDirectory)
    {
        var path = Path.Combine(Path.GetFullPath(stateDirectory), FileName);
        Dictionary<string, OutputStamp>? stamps = null;
        try
        {
            if (File.Exists(path))
            {
                stamps = JsonSerializer.Deserialize(File.ReadAllBytes(path), CliJsonContext.Default.DictionaryStringOutputStamp);
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            // Unreadable: nothing is known of the files, and they are written all the same.
        }

        return new OutputStamps(path, stamps is null ? new(StringComparer.Ordinal) : new(stamps, StringComparer.Ordinal));
    }

    /// <summary>What became of the file at <paramref name="path"/> (a full path) since the tool last wrote it there.</summary>
    public Change Check(string path)
    {
        if (!_stamps.TryGetValue(path, out var stamp))
        {
            return Change.None;
        }

        var file = new FileInfo(path);
        return !file.Exists ? Change.Missing : OutputStamp.Of(file) == stamp ? Change.None : Change.Changed;
    }

    /// <summary>Notes the file at <paramref name="path"/> as the tool has just written it.</summary>
    public void Record(string path) => _stamps[path] = OutputStamp.Of(new FileInfo(path));

    /// <summary>Saves the stamps (through a temporary file); a file error loses them, not a result.</summary>
    public void Save()
    {
        try
        {
            ResultFilePublisher.WriteThroughTemporaryFile(_path, output => JsonSerializer.Serialize(output, _stamps, CliJsonContext.Default.DictionaryStringOutputStamp));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The next run will not know these files: it writes them without a word.
        }
    }
}
