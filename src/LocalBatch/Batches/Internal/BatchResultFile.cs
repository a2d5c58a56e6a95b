using System.Buffers;
using System.Text.Json;
using LocalBatch.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// An append-only JSONL result file (output or errors). Opening it repairs a torn last line left by a crash
/// and reports every <c>custom_id</c> it already holds, so that a resumed run neither loses nor repeats one.
/// </summary>
internal sealed class BatchResultFile : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _line = new(1024);
    private readonly Utf8JsonWriter _json;
    private bool _writeFailed;

    private BatchResultFile(FileStream stream, string path)
    {
        _stream = stream;
        _json = new Utf8JsonWriter(_line, new JsonWriterOptions { Encoder = UnescapedJson.Encoder });
        Path = path;
    }

    public string Path { get; }

    public long LineCount { get; private set; }

    /// <summary>Opens (creating) the file for appending, after cutting a torn last line and scanning what it holds.</summary>
    public static async Task<BatchResultFile> OpenAsync(string path, Action<BatchResultLine> existing, CancellationToken cancellationToken)
    {
        RepairTornTail(path);
        long lines = 0;
        if (File.Exists(path))
        {
            await foreach (var line in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
            {
                existing(line);
                lines++;
            }
        }

        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024, FileOptions.None);
        return new BatchResultFile(stream, path) { LineCount = lines };
    }

    /// <summary>
    /// Appends one line in a single write and hands it to the operating system, so that a killed process keeps it.
    /// The line is built in a buffer reused from line to line.
    /// </summary>
    public void Append(BatchResultLine line)
    {
        _line.ResetWrittenCount();
        _json.Reset();
        JsonSerializer.Serialize(_json, line, BatchJsonContext.Default.BatchResultLine);
        _json.Flush();
        _line.Write("\n"u8);
        try
        {
            _stream.Write(_line.WrittenSpan);
            _stream.Flush();
        }
        catch (IOException)
        {
            // Part of the line may be in the file (a full disk): cut off when the file is closed.
            _writeFailed = true;
            throw;
        }
        catch (Exception ex) when (FileTooLarge.Is(ex))
        {
            _writeFailed = true;
            throw FileTooLarge.ToIOException(Path);
        }

        LineCount++;
    }

    /// <summary>Forces what was appended onto the disk (not only to the operating system).</summary>
    public void FlushToDisk() => _stream.Flush(flushToDisk: true);

    public async ValueTask DisposeAsync()
    {
        await _json.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (_writeFailed && (ex is IOException || FileTooLarge.Is(ex)))
        {
            // What was left of the failed line could not be written either; the file is closed all the same.
        }
        finally
        {
            if (_writeFailed)
            {
                // The file holds whole lines only once a run has stopped, as a resumed run would make it: what a user
                // copies or links to meanwhile never ends in part of a line. (Cutting needs no room on the disk.)
                TryRepairTornTail(Path);
            }
        }
    }

    private static void TryRepairTornTail(string path)
    {
        try
        {
            RepairTornTail(path);
        }
        catch (IOException)
        {
            // Cut when the run resumes instead.
        }
    }

    /// <summary>Reads a result file's lines; a torn last line (from a crash) is skipped.</summary>
    public static async IAsyncEnumerable<BatchResultLine> ReadLinesAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);
        using var reader = new StreamReader(stream);
        JsonException? torn = null;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            if (text.Length == 0)
            {
                continue;
            }

            if (torn is not null)
            {
                // A broken line with more after it is not a crash artefact: the file is damaged.
                throw new InvalidDataException($"The result file {path} has a line that is not valid JSON before its end.", torn);
            }

            BatchResultLine? line = null;
            try
            {
                line = JsonSerializer.Deserialize(text, BatchJsonContext.Default.BatchResultLine);
            }
            catch (JsonException ex)
            {
                // Possibly a line cut by a crash mid-write, or one still being written: skipped when it is the last.
                torn = ex;
            }

            if (line is not null)
            {
                yield return line;
            }
        }
    }

    /// <summary>Cuts everything after the last newline: a line the previous process did not finish writing.</summary>
    private static void RepairTornTail(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var length = stream.Length;
        if (length == 0)
        {
            return;
        }

        var buffer = new byte[64 * 1024];
        var end = length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            var count = (int)(end - start);
            stream.Position = start;
            stream.ReadExactly(buffer, 0, count);
            var newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (newline >= 0)
            {
                var keep = start + newline + 1;
                if (keep != length)
                {
                    stream.SetLength(keep);
                    stream.Flush(flushToDisk: true);
                }

                return;
            }

            end = start;
        }

        stream.SetLength(0);
        stream.Flush(flushToDisk: true);
    }
}
