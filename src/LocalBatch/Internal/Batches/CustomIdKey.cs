using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LocalBatch.Internal.Batches;

/// <summary>
/// A 128-bit digest of a <c>custom_id</c>, so that sets of a million ids cost 16 bytes each instead of a string:
/// the batch's memory stays flat as the input grows. SHA-256 truncated to 128 bits makes a collision among
/// 50,000 (or a million) ids about as likely as a hardware fault.
/// </summary>
internal static class CustomIdKey
{
    public static UInt128 Of(string customId)
    {
        var byteCount = Encoding.UTF8.GetByteCount(customId);
        Span<byte> utf8 = byteCount <= 256 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(customId, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8, hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}
