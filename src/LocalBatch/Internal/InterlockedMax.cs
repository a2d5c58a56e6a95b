namespace LocalBatch.Internal;

/// <summary>Raises a shared peak (such as the most requests ever in flight) without a lock.</summary>
internal static class InterlockedMax
{
    /// <summary>Sets <paramref name="target"/> to <paramref name="value"/> when that is higher, atomically.</summary>
    public static void Update(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
