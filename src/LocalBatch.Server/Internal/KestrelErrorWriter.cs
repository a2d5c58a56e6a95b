using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace LocalBatch.Server.Internal;

/// <summary>
/// The output of one connection, passed through with one change: an error Kestrel answers itself, before any endpoint
/// sees the request (a malformed request line or header such as <c>Content-Length: abc</c> 400, 408, 411, 413, 414,
/// 431, 505), gets OpenAI's error body instead of none. Kestrel offers no hook for these answers, so they are recognised
/// as it writes them: a whole head flushed at once, <c>HTTP/1.1</c> and one of those statuses, <c>Content-Length: 0</c>
/// and <c>Connection: close</c>, no <c>Content-Type</c> — the last answer on the connection. Everything else goes out
/// byte for byte, one flush for one flush.
/// </summary>
internal sealed class KestrelErrorWriter(PipeWriter inner) : PipeWriter
{
    private static readonly byte[] s_statusLinePrefix = "HTTP/1.1 "u8.ToArray();
    private static readonly byte[] s_emptyLength = "\r\nContent-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] s_close = "\r\nConnection: close\r\n"u8.ToArray();
    private static readonly byte[] s_contentType = "\r\nContent-Type:"u8.ToArray();
    private static readonly byte[] s_headEnd = "\r\n\r\n"u8.ToArray();

    private readonly ArrayBufferWriter<byte> _pending = new();

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _pending.WrittenCount;

    public override void Advance(int bytes) => _pending.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        // Handed on before the flush is awaited: more may be written while it waits for the client.
        var written = _pending.WrittenSpan;
        inner.Write(KestrelStatus(written) is { } status ? WithBody(written, status).Span : written);
        _pending.ResetWrittenCount();
        return inner.FlushAsync(cancellationToken);
    }

    public override void Complete(Exception? exception = null)
    {
        HandOnPending();
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        HandOnPending();
        return inner.CompleteAsync(exception);
    }

    /// <summary>The status of an answer Kestrel made itself, or <see langword="null"/>.</summary>
    internal static int? KestrelStatus(ReadOnlySpan<byte> data)
    {
        if (!data.StartsWith(s_statusLinePrefix) || data.Length < s_statusLinePrefix.Length + 3 || !data.EndsWith(s_headEnd)
            || !int.TryParse(data.Slice(s_statusLinePrefix.Length, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            || Message(status) is null)
        {
            return null;
        }

        var headers = data[..^2]; // so that the last header ends "\r\n" like the others
        return headers.IndexOf(s_emptyLength) >= 0 && headers.IndexOf(s_close) >= 0 && headers.IndexOf(s_contentType) < 0 ? status : null;
    }

    /// <summary>What was written and never flushed goes out as the pipe completes, as it would have without this writer.</summary>
    private void HandOnPending()
    {
        if (_pending.WrittenCount > 0)
        {
            inner.Write(_pending.WrittenSpan);
            _pending.ResetWrittenCount();
        }
    }

    private static ReadOnlyMemory<byte> WithBody(ReadOnlySpan<byte> head, int status)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ApiErrorResponse(new ApiErrorBody(Message(status)!, ApiError.InvalidRequest, Param: null, Code: Code(status))),
            ServerJsonContext.Default.ApiErrorResponse);
        var text = Encoding.ASCII.GetString(head);
        text = text.Replace("\r\nContent-Length: 0\r\n", string.Create(CultureInfo.InvariantCulture, $"\r\nContent-Length: {body.Length}\r\nContent-Type: application/json; charset=utf-8\r\n"), StringComparison.Ordinal);
        return (byte[])[.. Encoding.ASCII.GetBytes(text), .. body];
    }

    private static string? Message(int status) => status switch
    {
        400 => "The request could not be read as HTTP: its request line or a header (such as Content-Length) is malformed.",
        408 => "The request's headers did not arrive in time.",
        411 => "The request has a body but neither a Content-Length nor chunked Transfer-Encoding.",
        413 => "The request body is larger than this server accepts.",
        414 => "The request's URL is longer than this server accepts.",
        431 => "The request's headers are larger than this server accepts.",
        505 => "The request's HTTP version is not supported; send HTTP/1.1.",
        _ => null,
    };

    private static string Code(int status) => status switch
    {
        408 => "request_timeout",
        413 => "request_too_large",
        414 => "url_too_long",
        431 => "headers_too_large",
        505 => "http_version_not_supported",
        _ => "bad_request",
    };
}
