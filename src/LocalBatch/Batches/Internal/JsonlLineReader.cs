namespace LocalBatch.Batches.Internal;

/// <summary>
/// Reads a JSONL stream line by line as the bytes it holds, decoding nothing (so nothing can be replaced): a line
/// ends at LF, CRLF or a lone CR, and a UTF-8 byte order mark at the very start is skipped. A line longer than the
/// limit is read through without being kept, so memory stays within the limit whatever the input holds.
/// </summary>
internal sealed class JsonlLineReader
{
    private const int ChunkSize = 64 * 1024;
    private const int InitialLineSize = 4 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private readonly bool _skipByteOrderMark;
    private readonly byte[] _chunk = new byte[ChunkSize];
    private byte[] _line = new byte[InitialLineSize];
    private int _start;
    private int _end;
    private bool _started;
    private bool _endOfStream;
    private bool _skipLineFeed;

    /// <param name="stream">The input, read from its current position.</param>
    /// <param name="maxLineBytes">The longest line kept; a longer one is only measured.</param>
    /// <param name="skipByteOrderMark">Whether a byte order mark at the start is looked for (and UTF-8's skipped).</param>
    public JsonlLineReader(Stream stream, int maxLineBytes, bool skipByteOrderMark = true)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _skipByteOrderMark = skipByteOrderMark;
    }

    /// <summary>Gets the line just read, without its end; empty when it is longer than the limit.</summary>
    public ReadOnlyMemory<byte> Line { get; private set; }

    /// <summary>Gets the length in bytes of the line just read, even when it was too long to keep.</summary>
    public long Length { get; private set; }

    /// <summary>Gets a value indicating whether the line just read is longer than the limit (and so was not kept).</summary>
    public bool IsTooLarge => Length > _maxLineBytes;

    /// <summary>
    /// Gets the name of the encoding announced by a byte order mark other than UTF-8's at the start of the stream
    /// (<c>UTF-16 (little-endian)</c>, …), or <see langword="null"/>; known once the first line has been read.
    /// </summary>
    public string? ForeignByteOrderMark { get; private set; }

    /// <summary>Reads the next line.</summary>
    /// <returns><see langword="false"/> at the end of the stream (a last line without its end is still a line).</returns>
    public async ValueTask<bool> ReadLineAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            _started = true;
            await ReadStartAsync(cancellationToken).ConfigureAwait(false);
        }

        long length = 0;
        while (true)
        {
            if (_start == _end)
            {
                if (_endOfStream || !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    // A last line without a line end; nothing at all after the last line end is no line.
                    return length > 0 && Finish(length);
                }
            }

            if (_skipLineFeed)
            {
                // The LF of a CRLF whose CR ended the previous line (possibly in the previous chunk).
                _skipLineFeed = false;
                if (_chunk[_start] == (byte)'\n')
                {
                    _start++;
                    continue;
                }
            }

            var available = _chunk.AsSpan(_start, _end - _start);
            var stop = available.IndexOfAny((byte)'\r', (byte)'\n');
            var part = stop < 0 ? available : available[..stop];
            Keep(part, length);
            length += part.Length;
            if (stop >= 0)
            {
                _skipLineFeed = available[stop] == (byte)'\r';
                _start += stop + 1;
                return Finish(length);
            }

            _start = _end;
        }
    }

    /// <summary>Reads the first bytes and looks for a byte order mark: UTF-8's is skipped, any other is recorded.</summary>
    private async Task ReadStartAsync(CancellationToken cancellationToken)
    {
        _end = await _stream.ReadAtLeastAsync(_chunk, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        _endOfStream = _end == 0;
        var head = _chunk.AsSpan(0, _end);
        if (!_skipByteOrderMark)
        {
            return;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            _start = 3;
        }
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]))
        {
            ForeignByteOrderMark = "UTF-32 (little-endian)";
        }
        else if (head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            ForeignByteOrderMark = "UTF-32 (big-endian)";
        }
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            ForeignByteOrderMark = "UTF-16 (little-endian)";
        }
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            ForeignByteOrderMark = "UTF-16 (big-endian)";
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _stream.ReadAsync(_chunk, cancellationToken).ConfigureAwait(false);
        _endOfStream = _end == 0;
        return !_endOfStream;
    }

    /// <summary>Adds a part of the line to the kept bytes, unless the line has grown past the limit.</summary>
    private void Keep(ReadOnlySpan<byte> part, long lengthSoFar)
    {
        var length = lengthSoFar + part.Length;
        if (part.IsEmpty || length > _maxLineBytes)
        {
            return;
        }

        if (length > _line.Length)
        {
            Array.Resize(ref _line, (int)Math.Min(Math.Max(length, (long)_line.Length * 2), _maxLineBytes));
        }

        part.CopyTo(_line.AsSpan((int)lengthSoFar));
    }

    private bool Finish(long length)
    {
        Length = length;
        Line = length > _maxLineBytes ? ReadOnlyMemory<byte>.Empty : _line.AsMemory(0, (int)length);
        return true;
    }
}
