using System.Text;
using System.Text.Json;

namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>
/// What a batch's output and error files hold, checked against the custom_ids of its input: each exactly once across
/// both files (none lost, none doubled, none unknown), every line one whole JSON object (no torn or garbled line).
/// </summary>
internal sealed record ExactlyOnceCheck(int Expected, int OutputLines, int ErrorLines, int Lost, int Doubled, int Unknown, int BadLines)
{
    /// <summary>Gets a value indicating whether every custom_id is answered exactly once, in whole lines.</summary>
    public bool Holds => Lost == 0 && Doubled == 0 && Unknown == 0 && BadLines == 0;

    /// <summary>Gets the error file's lines: the custom_id, the status the server answered (null when none) and the error code.</summary>
    public IReadOnlyList<(string CustomId, int? Status, string? Code)> Errors { get; init; } = [];

    /// <summary>Reads both files (a missing one is empty) and checks them against <paramref name="expectedIds"/>.</summary>
    public static ExactlyOnceCheck Of(IReadOnlyCollection<string> expectedIds, string outputPath, string errorPath) =>
        Of(expectedIds, ReadOrEmpty(outputPath), ReadOrEmpty(errorPath));

    /// <summary>Checks the contents of both files (as downloaded, say) against <paramref name="expectedIds"/>.</summary>
    public static ExactlyOnceCheck Of(IReadOnlyCollection<string> expectedIds, byte[] output, byte[] errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var bad = 0;
        var errorList = new List<(string, int?, string?)>();
        var outputLines = Read(output, null);
        var errorLines = Read(errors, errorList);
        var expected = expectedIds.ToHashSet(StringComparer.Ordinal);
        return new ExactlyOnceCheck(
            expected.Count,
            outputLines,
            errorLines,
            Lost: expected.Count(id => !seen.ContainsKey(id)),
            Doubled: seen.Count(pair => pair.Value > 1),
            Unknown: seen.Keys.Count(id => !expected.Contains(id)),
            BadLines: bad)
        {
            Errors = errorList,
        };

        int Read(byte[] bytes, List<(string, int?, string?)>? errors)
        {
            if (bytes.Length > 0 && bytes[^1] != (byte)'\n')
            {
                bad++; // a last line without its end: torn
            }

            var lines = 0;
            foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                lines++;
                try
                {
                    using var json = JsonDocument.Parse(line);
                    var root = json.RootElement;
                    var id = root.GetProperty("custom_id").GetString()!;
                    seen[id] = seen.GetValueOrDefault(id) + 1;
                    errors?.Add((
                        id,
                        root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object ? response.GetProperty("status_code").GetInt32() : null,
                        root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object ? error.GetProperty("code").GetString() : null));
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    bad++;
                }
            }

            return lines;
        }
    }

    public override string ToString() =>
        $"{Expected} custom_ids: {OutputLines} output and {ErrorLines} error lines; lost {Lost}, doubled {Doubled}, unknown {Unknown}, bad lines {BadLines}";

    private static byte[] ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllBytes(path) : [];
}
