using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// The on-disk layout of batches: <c>{store}/{batch_id}/</c> holding <c>batch.json</c> (state, replaced
/// atomically), <c>input.jsonl</c>, <c>output.jsonl</c>, <c>errors.jsonl</c>, and <c>run.lock</c> while a process runs it.
/// Ids are checked on every lookup, so no id can point outside the store.
/// </summary>
internal sealed partial class BatchStore
{
    private const string StateFile = "batch.json";
    private static readonly Lock s_lastIdGate = new();
    private static UInt128 s_lastId;

    public BatchStore(string directory)
    {
        Root = Path.GetFullPath(directory);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>
    /// A new id: a version 7 UUID, whose text starts with its creation time in milliseconds, so that ids of batches
    /// created within the same second still sort newest last (and, in one process, those within one millisecond too).
    /// </summary>
    public static string NewBatchId(DateTimeOffset now)
    {
        // Within one millisecond a version 7 UUID is random; in this process ids still increase, one past the last.
        var next = UInt128.Parse(Guid.CreateVersion7(now).ToString("N"), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        lock (s_lastIdGate)
        {
            if (next <= s_lastId)
            {
                next = s_lastId + 1;
            }

            s_lastId = next;
        }

        return "batch_" + next.ToString("x32", CultureInfo.InvariantCulture);
    }

    public static bool IsValidId(string? id) => id is not null && BatchIdPattern().IsMatch(id);

    public string DirectoryOf(string batchId)
    {
        if (!IsValidId(batchId))
        {
            throw new ArgumentException($"'{batchId}' is not a batch id (batch_ followed by letters and digits).", nameof(batchId));
        }

        var directory = Path.GetFullPath(Path.Combine(Root, batchId));
        if (!directory.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{batchId}' is not a batch id.", nameof(batchId));
        }

        return directory;
    }

    public string InputPath(string batchId) => Path.Combine(DirectoryOf(batchId), "input.jsonl");

    /// <summary>The input's copy while it is validated; renamed to <see cref="InputPath"/> once whole.</summary>
    public string PartialInputPath(string batchId) => InputPath(batchId) + ".tmp";

    public string OutputPath(string batchId) => Path.Combine(DirectoryOf(batchId), "output.jsonl");

    public string ErrorPath(string batchId) => Path.Combine(DirectoryOf(batchId), "errors.jsonl");

    public string LockPath(string batchId) => Path.Combine(DirectoryOf(batchId), "run.lock");

    public string CancelRequestPath(string batchId) => Path.Combine(DirectoryOf(batchId), "cancel.requested");

    public string StatePath(string batchId) => Path.Combine(DirectoryOf(batchId), StateFile);

    public bool Exists(string batchId) => File.Exists(Path.Combine(DirectoryOf(batchId), StateFile));

    /// <summary>Writes the state to a temporary file, flushes it to disk, then renames it over the old one.</summary>
    public async Task WriteStateAsync(BatchJob job, CancellationToken cancellationToken)
    {
        var path = Path.Combine(DirectoryOf(job.Id), StateFile);
        var temp = path + ".tmp";
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, job, BatchJsonContext.Default.BatchJob, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <exception cref="InvalidDataException">The state file is not a batch (damaged, or edited by hand).</exception>
    public async Task<BatchJob?> ReadStateAsync(string batchId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(DirectoryOf(batchId), StateFile);
        if (!File.Exists(path))
        {
            return null;
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonSerializer.DeserializeAsync(stream, BatchJsonContext.Default.BatchJob, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"The state of batch '{batchId}' ({path}) cannot be read: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Lists the ids of the batches whose state exists (a directory left by a create that crashed before its state was written is not a batch).</summary>
    public IEnumerable<string> ListIds() =>
        Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .Where(name => IsValidId(name) && File.Exists(Path.Combine(Root, name!, StateFile)))
            .Select(name => name!);

    /// <summary>
    /// Takes the batch's run lock, or returns <see langword="null"/> when another process holds it. The lock file
    /// stays when released: deleting it on close would let one process lock the old file while another locks a new one.
    /// </summary>
    public FileStream? TryLock(string batchId)
    {
        try
        {
            return new FileStream(LockPath(batchId), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a process (this one included) holds the batch's run lock, asked without creating anything: a batch whose
    /// lock file does not exist was never run. The lock is taken and let go at once when it is free, as a runner would.
    /// </summary>
    public bool IsLocked(string batchId)
    {
        var path = LockPath(batchId);
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.None);
            return false;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false; // deleted meanwhile, with its batch
        }
        catch (IOException)
        {
            return true;
        }
    }

    [GeneratedRegex("^batch_[A-Za-z0-9]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex BatchIdPattern();
}
