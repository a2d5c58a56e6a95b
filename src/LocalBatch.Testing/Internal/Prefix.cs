namespace LocalBatch.Testing.Internal;

/// <summary>The longest common prefix of two token sequences.</summary>
internal static class Prefix
{
    public static int Length(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b) => a.CommonPrefixLength(b);
}
