namespace LocalBatch.Batches.Internal;

/// <summary>
/// A compact set of <c>custom_id</c>s: their 16-byte digests in one array, no object per entry, which is what
/// duplicate detection, resume and retry need to remember about a file of a million lines. Add every id, then
/// <see cref="Seal"/> (one sort); lookups are binary searches.
/// </summary>
internal sealed class CustomIdSet
{
    private CustomIdKey[] _keys = new CustomIdKey[64];
    private int _count;
    private bool _sealed;

    public int Count => _count;

    public void Add(string customId)
    {
        if (_sealed)
        {
            throw new InvalidOperationException("The set is sealed.");
        }

        if (_count == _keys.Length)
        {
            Array.Resize(ref _keys, checked(_keys.Length * 2));
        }

        _keys[_count++] = CustomIdKey.Of(customId);
    }

    /// <summary>Sorts the set; no id can be added afterwards.</summary>
    public void Seal()
    {
        Array.Sort(_keys, 0, _count);
        _sealed = true;
    }

    public bool Contains(string customId) => Contains(CustomIdKey.Of(customId));

    public bool Contains(CustomIdKey key)
    {
        EnsureSealed();
        return Array.BinarySearch(_keys, 0, _count, key) >= 0;
    }

    /// <summary>The ids that were added more than once.</summary>
    public HashSet<CustomIdKey> FindRepeated()
    {
        EnsureSealed();
        var repeated = new HashSet<CustomIdKey>();
        for (var i = 1; i < _count; i++)
        {
            if (_keys[i] == _keys[i - 1])
            {
                repeated.Add(_keys[i]);
            }
        }

        return repeated;
    }

    private void EnsureSealed()
    {
        if (!_sealed)
        {
            throw new InvalidOperationException("Seal the set before looking ids up.");
        }
    }
}
