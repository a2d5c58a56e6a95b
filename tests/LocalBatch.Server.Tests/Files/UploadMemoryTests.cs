using System.Net;
using System.Net.Http.Headers;
using System.Text;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Files;

[CollectionDefinition(nameof(UploadMemoryTests), DisableParallelization = true)]
public sealed class UploadMemoryCollection;

/// <summary>Alone in its collection: it measures what the whole process allocates.</summary>
[Collection(nameof(UploadMemoryTests))]
public sealed class UploadMemoryTests
{
    private const long Size = 64L << 20;

    [Fact]
    public async Task UploadFile_64MB_StreamsToDiskWithoutHoldingIt()
    {
        await using var env = await ServeAsync();
        using var content = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        var file = new StreamContent(new PatternStream(Size), 64 * 1024);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Add(file, "file", "large.jsonl");
        await env.Http.GetAsync("/v1/files"); // warm up the connection and the routes

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var response = await env.Http.PostAsync("/v1/files", content);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Size, (await JsonAsync(response)).GetProperty("bytes").GetInt64());
        Assert.True(allocated < Size / 4, $"uploading {Size >> 20} MB allocated {allocated >> 20} MB");
    }

    /// <summary>A read-only stream of <paramref name="length"/> bytes of text, made as it is read.</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private static readonly byte[] s_pattern = Encoding.ASCII.GetBytes("{\"custom_id\": \"x\"}\n");
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(buffer.Length, length - _position);
            for (var i = 0; i < count; i++)
            {
                buffer[i] = s_pattern[(_position + i) % s_pattern.Length];
            }

            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
