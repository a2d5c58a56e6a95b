namespace LocalBatch.Batches.Internal;

/// <summary>
/// A compact set of <c>custom_id</c>s: their 16-byte digests in one array, no object per entry, which is what
/// duplicate detection, resume and retry need to remember about a file of a million lines. Add every id, then
/// <see cref="Seal"/> (one sort); lookups are binary searches. A set may instead hold a number with each digest (a
/// place, 4 bytes more an entry), found by <see cref="TryGetValue"/>: it holds numbers for all its digests or for none.
/// </summary>
internal sealed class CustomIdSet
{
    private CustomIdKey[] _keys = new CustomIdKey[64];
    private int[]? _values;
    private int _count;
    private bool _sealed;

    public int Count => _count;

    public void Add(string customId) => Add(CustomIdKey.Of(customId));

    /// <summary>Adds a digest: an id's, or a whole line's (<see cref="CustomIdKey.Of(ReadOnlySpan{byte})"/>).</summary>
    public void Add(CustomIdKey key)
    {
        if (_values is not null)
        {
            throw new InvalidOperationException("The set holds a number with each digest.");
        }

        Append(key);
    }

    /// <summary>Adds a digest with the number <see cref="TryGetValue"/> gives for it.</summary>
    public void Add(CustomIdKey key, int value)
    {
        if (_values is null)
        {
            if (_count > 0)
            {
                throw new InvalidOperationException("The set holds digests without numbers.");
            }

            _values = new int[_keys.Length];
        }

        Append(key);
        _values[_count - 1] = value;
    }

    /// <summary>Sorts the set; no id can be added afterwards.</summary>
    public void Seal()
    {
        if (_values is null)
        {
            Array.Sort(_keys, 0, _count);
        }
        else
        {
            Array.Sort(_keys, _values, 0, _count);
        }

        _sealed = true;
    }

    public bool Contains(string customId) => Contains(CustomIdKey.Of(customId));

    public bool Contains(CustomIdKey key) => IndexOf(key) >= 0;

    /// <summary>The digest's place in the sealed set (0 to <see cref="Count"/> - 1), or -1; one place per digest when none was added twice.</summary>
    public int IndexOf(CustomIdKey key)
    {
        EnsureSealed();
        var index = Array.BinarySearch(_keys, 0, _count, key);
        return index >= 0 ? index : -1;
    }

    /// <summary>The number added with the digest (one of them, when it was added twice).</summary>
    public bool TryGetValue(CustomIdKey key, out int value)
    {
        if (_values is null)
        {
            throw new InvalidOperationException("The set holds digests without numbers.");
        }

        var index = IndexOf(key);
        value = index >= 0 ? _values[index] : 0;
        return index >= 0;
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

    private void Append(CustomIdKey key)
    {
        if (_sealed)
        {
            throw new InvalidOperationException("The set is sealed.");
        }

        if (_count == _keys.Length)
        {
            Array.Resize(ref _keys, checked(_keys.Length * 2));
            if (_values is not null)
            {
                Array.Resize(ref _values, _keys.Length);
            }
        }

        _keys[_count++] = key;
    }

    private void EnsureSealed()
    {
        if (!_sealed)
        {
            throw new InvalidOperationException("Seal the set before looking ids up.");
        }
    }
}
