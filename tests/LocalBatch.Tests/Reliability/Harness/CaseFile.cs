using System.Globalization;

namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>
/// A case file of a bad input corpus: a <c># description</c> line, then <c>key: value</c> lines (split at the first
/// colon; a key may come again). The corpora of <c>localbatch run</c> and of <c>serve</c> read their cases with it.
/// </summary>
internal sealed class CaseFile
{
    private readonly string _path;
    private readonly List<(string Key, string Value)> _values;

    private CaseFile(string path, string description, List<(string Key, string Value)> values)
    {
        _path = path;
        Description = description;
        _values = values;
    }

    public string Description { get; }

    /// <summary>The names of the cases (<c>NN-name</c>) of a corpus folder, in order.</summary>
    public static IReadOnlyList<string> Names(string folder) =>
        [.. Directory.GetFiles(folder, "*.case").Select(path => Path.GetFileNameWithoutExtension(path)!).Order(StringComparer.Ordinal)];

    public static CaseFile Read(string path)
    {
        var lines = File.ReadAllLines(path);
        return new CaseFile(
            path,
            lines.FirstOrDefault(line => line.StartsWith('#'))?.TrimStart('#', ' ') ?? string.Empty,
            [.. lines
                .Where(line => line.Contains(':', StringComparison.Ordinal) && !line.StartsWith('#'))
                .Select(line => (line[..line.IndexOf(':', StringComparison.Ordinal)].Trim(), line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))]);
    }

    /// <summary>The last value of the key, or <see langword="null"/> when the file has none.</summary>
    public string? One(string key) => _values.LastOrDefault(pair => pair.Key == key).Value;

    /// <summary>The value of a key the file must have.</summary>
    /// <exception cref="InvalidDataException">The file has no such line.</exception>
    public string Required(string key) => One(key) ?? throw new InvalidDataException($"{_path} has no {key}: line.");

    /// <summary>Every value of the key, in order.</summary>
    public List<string> All(string key) => [.. _values.Where(pair => pair.Key == key).Select(pair => pair.Value)];

    public int? Number(string key) => One(key) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;
}
