using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// A 128-bit digest of a <c>custom_id</c> (SHA-256 cut to 128 bits), so that a million ids cost 16 bytes each
/// instead of a string. A collision among 50,000 (or a million) ids is about as likely as a hardware fault.
/// Two <see cref="ulong"/> halves rather than <see cref="UInt128"/>, whose 16-byte alignment would pad every
/// entry of an index.
/// </summary>
internal readonly record struct CustomIdKey(ulong High, ulong Low) : IComparable<CustomIdKey>
{
    public static CustomIdKey Of(string customId)
    {
        var byteCount = Encoding.UTF8.GetByteCount(customId);
        Span<byte> utf8 = byteCount <= 256 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(customId, utf8);
        return Of(utf8);
    }

    /// <summary>
    /// The digest of any bytes: of an id's UTF-8, or of a whole stored request line (its <c>custom_id</c> and request
    /// together, which is how <see cref="BatchAnswerReuse"/> tells an unchanged request from an edited one).
    /// </summary>
    public static CustomIdKey Of(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return new CustomIdKey(BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]));
    }

    public int CompareTo(CustomIdKey other)
    {
        var high = High.CompareTo(other.High);
        return high != 0 ? high : Low.CompareTo(other.Low);
    }
}
