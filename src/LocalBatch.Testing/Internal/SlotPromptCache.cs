namespace LocalBatch.Testing.Internal;

/// <summary>
/// What each slot holds, and llama-server's choice of a slot (<c>get_available_slot</c>): the cached prompt of
/// every slot, when each was last used, and the host-memory cache. Not thread-safe: the
/// <see cref="SlotScheduler"/> calls it under its lock.
/// </summary>
internal sealed class SlotPromptCache
{
    private readonly ulong[][] _cached;
    private readonly long[] _lastUsed;
    private readonly HostPromptCache _host = new();
    private long _clock;

    public SlotPromptCache(int slots)
    {
        _cached = new ulong[slots][];
        Array.Fill(_cached, []);
        _lastUsed = new long[slots];
        Array.Fill(_lastUsed, -1);
    }

    /// <summary>Gets the number of prompts in the host-memory cache.</summary>
    public int HostCount => _host.Count;

    /// <summary>Gets the tokens a slot holds now.</summary>
    public ulong[] Cached(int slot) => _cached[slot];

    /// <summary>
    /// Chooses an idle slot for a request that names none: the one whose cached prompt covers the largest fraction
    /// of the request's first prompt, above the claim's similarity (the first on ties); else the least recently
    /// used (the last on ties, as llama-server compares with <c>&lt;=</c>). When the choice is by least recent use,
    /// or keeps less than half of the slot's prompt, the slot's prompt goes to the host-memory cache and the best
    /// prompt found there comes in its place. Returns -1 when every slot is busy.
    /// </summary>
    public int Select(bool[] busy, SlotClaim claim)
    {
        var prompt = claim.Prompts is { Count: > 0 } prompts ? prompts[0] : null;
        var chosen = -1;
        var toHost = false;
        if (prompt is not null && claim.Similarity > 0)
        {
            var best = 0.0;
            for (var i = 0; i < busy.Length; i++)
            {
                if (busy[i] || _cached[i].Length == 0)
                {
                    continue;
                }

                var similarity = (double)Prefix.Length(_cached[i], prompt) / prompt.Length;
                if (similarity > best && similarity > claim.Similarity)
                {
                    best = similarity;
                    chosen = i;
                }
            }

            toHost = chosen >= 0 && best * prompt.Length / _cached[chosen].Length < 0.5;
        }

        if (chosen < 0)
        {
            var oldest = -1L;
            for (var i = 0; i < busy.Length; i++)
            {
                if (!busy[i] && (chosen < 0 || _lastUsed[i] <= oldest))
                {
                    oldest = _lastUsed[i];
                    chosen = i;
                }
            }

            toHost = true;
        }

        // As in llama-server, only completion tasks swap prompts with the host-memory cache.
        if (chosen >= 0 && toHost && prompt is not null && claim.HostCacheTokens > 0)
        {
            _host.Save(_cached[chosen]);
            if (_host.TryLoad(_cached[chosen], prompt) is { } loaded)
            {
                _cached[chosen] = loaded;
            }

            _host.Trim(claim.HostCacheTokens);
        }

        return chosen;
    }

    /// <summary>
    /// Runs a claim's prompts on a slot it took: each reuses its common prefix with what the slot holds (all but
    /// its last token at most), then is what the slot holds. Then, with a host-memory cache, the idle slots' prompts
    /// are saved to it. Returns the prompt tokens reused.
    /// </summary>
    public int Launch(int slot, bool[] busy, SlotClaim claim)
    {
        var reused = 0;
        if (claim.Prompts is { } prompts)
        {
            foreach (var prompt in prompts)
            {
                var common = claim.ReusePrefix ? Prefix.Length(_cached[slot], prompt) : 0;
                if (common == prompt.Length && common > 0)
                {
                    // At least one token is evaluated for every prompt.
                    common--;
                }

                reused += common;
                _cached[slot] = prompt;
            }
        }
        else if (claim.IsGeneration)
        {
            // A prompt that is not modelled replaces what the slot held.
            _cached[slot] = [];
        }

        if (claim.HostCacheTokens > 0)
        {
            for (var i = 0; i < busy.Length; i++)
            {
                if (i != slot && !busy[i])
                {
                    _host.Save(_cached[i]);
                }
            }

            _host.Trim(claim.HostCacheTokens);
        }

        return reused;
    }

    /// <summary>Marks a slot as used just now, for the least-recently-used choice.</summary>
    public void Released(int slot) => _lastUsed[slot] = ++_clock;
}
