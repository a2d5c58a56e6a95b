namespace LocalBatch.Testing.Internal;

/// <summary>
/// The prompts kept in host memory besides the slots, like llama-server's <c>server_prompt_cache</c>
/// (<c>--cache-ram</c>): oldest first, each at most once, limited in tokens. Not thread-safe: the
/// <see cref="SlotScheduler"/> calls it under its lock.
/// </summary>
internal sealed class HostPromptCache
{
    private readonly LinkedList<ulong[]> _prompts = new();
    private long _tokens;

    public int Count => _prompts.Count;

    /// <summary>
    /// Saves a prompt, unless a saved one already starts with all of it; saved prompts that are a prefix of it
    /// are dropped.
    /// </summary>
    public void Save(ulong[] prompt)
    {
        if (prompt.Length == 0)
        {
            return;
        }

        foreach (var saved in _prompts)
        {
            if (Prefix.Length(saved, prompt) == prompt.Length)
            {
                return;
            }
        }

        for (var node = _prompts.First; node is not null;)
        {
            var next = node.Next;
            if (Prefix.Length(node.Value, prompt) == node.Value.Length)
            {
                Remove(node);
            }

            node = next;
        }

        _prompts.AddLast(prompt);
        _tokens += prompt.Length;
    }

    /// <summary>
    /// Takes out the saved prompt that would serve <paramref name="next"/> better than <paramref name="current"/>:
    /// one that keeps at least a quarter of itself, and both keeps a larger fraction of itself and covers a larger
    /// fraction of <paramref name="next"/> than the best so far. Returns <see langword="null"/> when none does.
    /// </summary>
    public ulong[]? TryLoad(ulong[] current, ulong[] next)
    {
        var common = Prefix.Length(current, next);
        var keepBest = current.Length > 0 ? (double)common / current.Length : -1;
        var similarityBest = (double)common / next.Length;
        LinkedListNode<ulong[]>? best = null;
        for (var node = _prompts.First; node is not null; node = node.Next)
        {
            var length = Prefix.Length(node.Value, next);
            var keep = (double)length / node.Value.Length;
            var similarity = (double)length / next.Length;
            if (keep < 0.25)
            {
                continue;
            }

            if (keepBest < keep && similarityBest < similarity)
            {
                keepBest = keep;
                similarityBest = similarity;
                best = node;
            }
        }

        if (best is null)
        {
            return null;
        }

        Remove(best);
        return best.Value;
    }

    /// <summary>Drops the oldest prompts while there are more than <paramref name="limit"/> tokens, keeping at least one.</summary>
    public void Trim(int limit)
    {
        while (_prompts.Count > 1 && _tokens > limit)
        {
            Remove(_prompts.First!);
        }
    }

    private void Remove(LinkedListNode<ulong[]> node)
    {
        _tokens -= node.Value.Length;
        _prompts.Remove(node);
    }
}
