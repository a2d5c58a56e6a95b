using System.Net;
using System.Text;

namespace LocalBatch.Server.Tests.Reliability.Harness;

/// <summary>
/// A multipart upload of a batch file that sends its first part, then stalls until released (and then fails): an
/// upload that is halfway when its server is killed.
/// </summary>
internal sealed class StalledUpload : HttpContent
{
    private const string Boundary = "stalled-upload";
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReadOnlyMemory<byte> _firstPart;

    public StalledUpload(ReadOnlyMemory<byte> firstPart)
    {
        _firstPart = firstPart;
        Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={Boundary}");
    }

    public void Release() => _released.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var head = $"--{Boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head));
        await stream.WriteAsync(_firstPart);
        await stream.FlushAsync();
        await _released.Task;
        throw new IOException("The upload was cut short.");
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
