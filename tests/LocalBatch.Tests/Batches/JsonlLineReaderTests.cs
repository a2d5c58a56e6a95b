using System.Text;
using LocalBatch.Batches.Internal;

namespace LocalBatch.Tests.Batches;

public sealed class JsonlLineReaderTests
{
    [Theory]
    [InlineData("a\nb\n", new[] { "a", "b" })]
    [InlineData("a\r\nb", new[] { "a", "b" })]
    [InlineData("a\rb\r\n\r\nc", new[] { "a", "b", "", "c" })]
    [InlineData("\n", new[] { "" })]
    [InlineData("", new string[0])]
    [InlineData("\uFEFFa\n\uFEFFb", new[] { "a", "\uFEFFb" })] // only the first byte order mark is skipped
    public async Task ReadLineAsync_LineEndsAndByteOrderMark_SplitAsStreamReaderDoes(string text, string[] expected)
    {
        foreach (var chunked in new[] { false, true })
        {
            var lines = await ReadAllAsync(Encoding.UTF8.GetBytes(text), maxLineBytes: 100, oneByteAtATime: chunked);

            Assert.Equal(expected, lines.Select(line => line.Text));
        }
    }

    [Fact]
    public async Task ReadLineAsync_LineOverTheLimit_IsMeasuredNotKeptAndTheNextLineIsWhole()
    {
        var text = new string('x', 200_000) + "\r\nshort\n";

        var lines = await ReadAllAsync(Encoding.UTF8.GetBytes(text), maxLineBytes: 1_000, oneByteAtATime: false);

        Assert.Equal([(200_000L, true, ""), (5L, false, "short")], lines.Select(line => (line.Length, line.TooLarge, line.Text)));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'{', 0 }, "UTF-16 (little-endian)")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0, (byte)'{' }, "UTF-16 (big-endian)")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0, 0 }, "UTF-32 (little-endian)")]
    [InlineData(new byte[] { 0, 0, 0xFE, 0xFF }, "UTF-32 (big-endian)")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'{' }, null)]
    public async Task ReadLineAsync_ByteOrderMark_NamesForeignEncodings(byte[] start, string? expected)
    {
        var reader = new JsonlLineReader(new TrickleStream(start, oneByteAtATime: true), 100);

        Assert.True(await reader.ReadLineAsync(CancellationToken.None));

        Assert.Equal(expected, reader.ForeignByteOrderMark);
    }

    private static async Task<List<(string Text, long Length, bool TooLarge)>> ReadAllAsync(byte[] bytes, int maxLineBytes, bool oneByteAtATime)
    {
        var reader = new JsonlLineReader(new TrickleStream(bytes, oneByteAtATime), maxLineBytes);
        var lines = new List<(string, long, bool)>();
        while (await reader.ReadLineAsync(CancellationToken.None))
        {
            lines.Add((Encoding.UTF8.GetString(reader.Line.Span), reader.Length, reader.IsTooLarge));
        }

        return lines;
    }

    /// <summary>A stream that can hand out one byte per read, so that every line end and mark falls across reads.</summary>
    private sealed class TrickleStream(byte[] bytes, bool oneByteAtATime) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(oneByteAtATime && buffer.Length > 1 ? buffer[..1] : buffer, cancellationToken);

        public override int Read(Span<byte> buffer) => base.Read(oneByteAtATime && buffer.Length > 1 ? buffer[..1] : buffer);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, oneByteAtATime ? Math.Min(count, 1) : count);
    }
}
