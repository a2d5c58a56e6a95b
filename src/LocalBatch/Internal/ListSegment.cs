using System.Collections;

namespace LocalBatch.Internal;

/// <summary>A read-only window on a list, so that chunking copies nothing.</summary>
internal sealed class ListSegment<T>(IReadOnlyList<T> list, int offset, int count) : IReadOnlyList<T>
{
    public T this[int index] => (uint)index < (uint)count ? list[offset + index] : throw new ArgumentOutOfRangeException(nameof(index));

    public int Count => count;

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < count; i++)
        {
            yield return list[offset + i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
