using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Fills a new batch's output file, before it runs, with the answers earlier batches gave to the requests it repeats
/// unchanged (<see cref="BatchCreateOptions.ReuseAnswersFrom"/>); its runner then finds them answered, as after a
/// resume, and sends the rest. A request is unchanged when its stored line is byte for byte the same — its
/// <c>custom_id</c>, <c>method</c>, <c>url</c> and <c>body</c> — told by a 16-byte digest of the line. Memory: the new
/// input's digests in one sorted array, and per earlier batch in turn the ids (digests) of the lines it shares with the
/// new input, each with its place; the lines themselves are streamed, the answers copied as they were written.
/// </summary>
internal static class BatchAnswerReuse
{
    /// <summary>Writes the reused answers as the new batch's output file (none when there are none).</summary>
    /// <returns>How many answers were reused: each <c>custom_id</c> once, from the first batch that answered it.</returns>
    public static async Task<int> CopyAsync(BatchStore store, string batchId, IReadOnlyList<string> sources, CancellationToken cancellationToken)
    {
        var requests = new CustomIdSet();
        await foreach (var line in ReadLinesAsync(store.InputPath(batchId), cancellationToken).ConfigureAwait(false))
        {
            requests.Add(CustomIdKey.Of(line.Span));
        }

        requests.Seal();
        var answered = new BitArray(requests.Count);
        var output = store.OutputPath(batchId);
        var temp = output + ".tmp";
        var reused = 0;
        try
        {
            var writer = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
            await using (writer.ConfigureAwait(false))
            {
                foreach (var source in sources)
                {
                    reused += await CopyFromAsync(store, source, requests, answered, writer, cancellationToken).ConfigureAwait(false);
                }

                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                writer.Flush(flushToDisk: true);
            }

            if (reused > 0)
            {
                // Whole, or not at all: a crash before this leaves a batch that never ran, with no output file.
                File.Move(temp, output);
            }
            else
            {
                File.Delete(temp);
            }

            return reused;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Copies the answers of one earlier batch to the requests the new input repeats and no earlier source answered.</summary>
    private static async Task<int> CopyFromAsync(BatchStore store, string source, CustomIdSet requests, BitArray answered, Stream writer, CancellationToken cancellationToken)
    {
        // The source's requests that the new input repeats: their custom_id, with their place among the new input's digests.
        var shared = new CustomIdSet();
        await foreach (var line in ReadLinesAsync(store.InputPath(source), cancellationToken).ConfigureAwait(false))
        {
            if (requests.IndexOf(CustomIdKey.Of(line.Span)) is var place and >= 0 && CustomIdOf(line.Span) is { } customId)
            {
                shared.Add(CustomIdKey.Of(customId), place);
            }
        }

        if (shared.Count == 0)
        {
            return 0;
        }

        shared.Seal();
        var copied = 0;
        await foreach (var line in ReadLinesAsync(store.OutputPath(source), cancellationToken).ConfigureAwait(false))
        {
            if (CustomIdOf(line.Span) is { } customId && shared.TryGetValue(CustomIdKey.Of(customId), out var place) && !answered[place])
            {
                answered[place] = true;
                await writer.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                writer.WriteByte((byte)'\n');
                copied++;
            }
        }

        return copied;
    }

    /// <summary>A stored file's lines as bytes (none when it does not exist); each is valid until the next is read.</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadLinesAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        await using var streamScope = stream.ConfigureAwait(false);
        var reader = new JsonlLineReader(stream, Array.MaxLength, skipByteOrderMark: false);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.Length > 0)
            {
                yield return reader.Line;
            }
        }
    }

    /// <summary>
    /// The top-level <c>custom_id</c> of a whole JSON line; <see langword="null"/> when it has none or is not whole
    /// JSON (a last line cut short by a crash while it was written: no answer to take).
    /// </summary>
    private static string? CustomIdOf(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? customId = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isCustomId = reader.ValueTextEquals("custom_id"u8);
                reader.Read();
                if (isCustomId && reader.TokenType == JsonTokenType.String)
                {
                    customId = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? customId : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
