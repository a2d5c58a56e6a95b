using System.Buffers;
using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LocalBatch.Processing.Internal;
using Microsoft.Win32.SafeHandles;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// The order a batch's unanswered requests run in when some share a prompt prefix: runs of requests that share one,
/// each run sent one after another on one lane (see <see cref="AffinityPlan"/>), then the requests without a prefix to
/// share, one at a time in input order. Made in one pass over the stored input that keeps, per unanswered request with
/// a prefix, its place, where its line starts and its key (20 bytes), and per request without one a bit, not the line;
/// a run's lines are read back from the file when a lane takes it.
/// </summary>
internal sealed class BatchRunPlan
{
    private const int ChunkSize = 64 * 1024;

    private readonly BatchStore _store;
    private readonly BatchJob _job;
    private readonly int[] _indices;
    private readonly long[] _offsets;
    private readonly int[][] _runs;
    private readonly BitArray _keyless;
    private readonly int _keylessCount;

    private BatchRunPlan(BatchStore store, BatchJob job, int[] indices, long[] offsets, int[][] runs, BitArray keyless, int keylessCount)
    {
        _store = store;
        _job = job;
        _indices = indices;
        _offsets = offsets;
        _runs = runs;
        _keyless = keyless;
        _keylessCount = keylessCount;
    }

    /// <summary>Gets how many requests the plan runs.</summary>
    public int Count => _indices.Length + _keylessCount;

    /// <summary>Gets how many runs there are (each request without a prefix to share a run of its own).</summary>
    public int Runs => _runs.Length + _keylessCount;

    /// <summary>Plans the unanswered requests, or returns <see langword="null"/> when no two share a prefix (input order is as good).</summary>
    public static async Task<BatchRunPlan?> CreateAsync(BatchStore store, BatchJob job, BitArray answered, int lanes, CancellationToken cancellationToken)
    {
        var indices = new List<int>();
        var offsets = new List<long>();
        var keys = new List<ulong>();
        var keyless = new BitArray(answered.Length);
        var keylessCount = 0;
        await ScanAsync(store.InputPath(job.Id), (line, index, offset) =>
        {
            if (index < answered.Length && answered[index])
            {
                return;
            }

            if (KeyOf(line) is var key and not 0)
            {
                indices.Add(index);
                offsets.Add(offset);
                keys.Add(key);
            }
            else if (index < keyless.Length)
            {
                keyless[index] = true;
                keylessCount++;
            }
        }, cancellationToken).ConfigureAwait(false);

        var runs = AffinityPlan.Plan(keys, lanes, totalItems: keys.Count + keylessCount);
        return runs is null ? null : new BatchRunPlan(store, job, [.. indices], [.. offsets], runs, keyless, keylessCount);
    }

    /// <summary>The runs, biggest first, each read from the file when it is asked for; then the requests without a prefix, one a run.</summary>
    public async IAsyncEnumerable<IReadOnlyList<BatchInputLine>> ReadRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (var file = File.OpenHandle(_store.InputPath(_job.Id), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.RandomAccess))
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            foreach (var run in _runs)
            {
                var lines = new BatchInputLine[run.Length];
                for (var i = 0; i < run.Length; i++)
                {
                    var member = run[i];
                    var line = await ReadLineAsync(file, _offsets[member], buffer, cancellationToken).ConfigureAwait(false);
                    lines[i] = BatchInputValidator.ParseStoredLine(line, _indices[member]);
                }

                yield return lines;
            }
        }

        if (_keylessCount > 0)
        {
            await foreach (var line in BatchInputFile.ReadMarkedAsync(_store, _job, _keyless, cancellationToken).ConfigureAwait(false))
            {
                yield return [line];
            }
        }
    }

    /// <summary>The prefix key of a stored line's body (0 when it has none, or the line cannot be read as a request).</summary>
    private static ulong KeyOf(ReadOnlyMemory<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("body", out var body) ? PromptPrefix.KeyOf(body) : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    /// <summary>Reads the stored input line by line (its requests, in order), with each line's byte offset.</summary>
    private static async Task ScanAsync(string path, Action<ReadOnlyMemory<byte>, int, long> onLine, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var chunk = new byte[ChunkSize];
            var pending = new ArrayBufferWriter<byte>(ChunkSize);
            long position = 0;
            long lineStart = 0;
            var index = 0;
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var start = 0;
                for (var newline = Array.IndexOf(chunk, (byte)'\n', 0, read); newline >= 0; newline = Array.IndexOf(chunk, (byte)'\n', start, read - start))
                {
                    pending.Write(chunk.AsSpan(start, newline - start));
                    Deliver();
                    lineStart = position + newline + 1;
                    start = newline + 1;
                }

                pending.Write(chunk.AsSpan(start, read - start));
                position += read;
            }

            Deliver();

            void Deliver()
            {
                var line = pending.WrittenMemory;
                if (!IsBlank(line.Span))
                {
                    onLine(line, index++, lineStart);
                }

                pending.ResetWrittenCount();
            }
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.Trim(" \t\r"u8).IsEmpty;

    /// <summary>The line that starts at <paramref name="offset"/>, read in blocks until its newline (as bytes, in <paramref name="buffer"/>).</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadLineAsync(SafeFileHandle file, long offset, ArrayBufferWriter<byte> buffer, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        while (true)
        {
            var block = buffer.GetMemory(4096);
            var read = await RandomAccess.ReadAsync(file, block, offset + buffer.WrittenCount, cancellationToken).ConfigureAwait(false);
            var newline = block.Span[..read].IndexOf((byte)'\n');
            buffer.Advance(newline >= 0 ? newline : read);
            if (newline >= 0 || read == 0)
            {
                return buffer.WrittenMemory;
            }
        }
    }
}
