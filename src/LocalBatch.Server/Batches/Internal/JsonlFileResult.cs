using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Batches.Internal;

/// <summary>
/// Streams a JSONL file that may still be growing (a running batch's output) as whole lines only: up to the last line
/// break there was when it was opened. A file that does not exist yet is an empty answer.
/// </summary>
internal sealed class JsonlFileResult(string path) : IResult
{
    private const int BufferSize = 64 * 1024;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "application/jsonl";
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            response.ContentLength = 0;
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                var remaining = await WholeLinesLengthAsync(stream, buffer, httpContext.RequestAborted).ConfigureAwait(false);
                response.ContentLength = remaining;
                stream.Position = 0;
                while (remaining > 0)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), httpContext.RequestAborted).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    await response.Body.WriteAsync(buffer.AsMemory(0, read), httpContext.RequestAborted).ConfigureAwait(false);
                    remaining -= read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The length of the file up to and including its last line break, looked for from the end backwards.</summary>
    private static async Task<long> WholeLinesLengthAsync(FileStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var end = stream.Length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            stream.Position = start;
            var block = buffer.AsMemory(0, (int)(end - start));
            await stream.ReadExactlyAsync(block, cancellationToken).ConfigureAwait(false);
            var newline = block.Span.LastIndexOf((byte)'\n');
            if (newline >= 0)
            {
                return start + newline + 1;
            }

            end = start;
        }

        return 0;
    }
}
