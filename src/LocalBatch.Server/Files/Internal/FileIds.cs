using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using LocalBatch.Batches;

namespace LocalBatch.Server.Files.Internal;

/// <summary>
/// File ids: <c>file-{32 hex digits}</c> for an upload (its time first, so that ids sort by upload time), and the
/// ids <see cref="BatchJobManager"/> gives a batch's result files, <c>file-{batch hex}-output</c> and
/// <c>file-{batch hex}-errors</c>. Only ids of these shapes ever reach a path, so none can leave the store.
/// </summary>
internal static partial class FileIds
{
    private static long s_lastTicks;

    /// <summary>
    /// A new upload id: the upload time in ticks (one past the last id's when the clock has not moved, so that the ids
    /// of one process always increase), then 64 random bits.
    /// </summary>
    public static string NewUpload(DateTimeOffset now)
    {
        long last, ticks;
        do
        {
            last = Volatile.Read(ref s_lastTicks);
            ticks = Math.Max(now.UtcTicks, last + 1);
        }
        while (Interlocked.CompareExchange(ref s_lastTicks, ticks, last) != last);

        return string.Create(CultureInfo.InvariantCulture, $"file-{ticks:x16}{RandomNumberGenerator.GetHexString(16, lowercase: true)}");
    }

    public static bool IsUpload(string id) => UploadPattern().IsMatch(id);

    /// <summary>
    /// Whether the id is one a file could have (<c>file-</c>, then letters, digits, <c>-</c> and <c>_</c>): an unknown one
    /// is a 404, anything else (a path, an encoded <c>../</c>) a 400. Only the two shapes above ever name a path.
    /// </summary>
    public static bool IsWellFormed(string id) => WellFormedPattern().IsMatch(id);

    /// <summary>Reads a batch result file id as its batch id and which file it names; the batch must still confirm it.</summary>
    public static bool TryParseBatchFile(string id, [NotNullWhen(true)] out string? batchId, out BatchFileKind kind)
    {
        var match = BatchFilePattern().Match(id);
        batchId = match.Success ? "batch_" + match.Groups["batch"].Value : null;
        kind = match.Success && match.Groups["kind"].Value == "errors" ? BatchFileKind.Errors : BatchFileKind.Output;
        return match.Success;
    }

    [GeneratedRegex("^file-[A-Za-z0-9_-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex WellFormedPattern();

    [GeneratedRegex("^file-[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex UploadPattern();

    [GeneratedRegex("^file-(?<batch>[A-Za-z0-9]{1,64})-(?<kind>output|errors)$", RegexOptions.CultureInvariant)]
    private static partial Regex BatchFilePattern();
}
