namespace LocalBatch.Testing.Internal;

/// <summary>What a generation request asks of the slots: which slot, and the prompts it will run on it.</summary>
internal sealed class SlotClaim
{
    /// <summary>Gets a claim for an embeddings request: any slot, chosen by least recent use, its cache untouched.</summary>
    public static SlotClaim Embedding(SimulatedGatewayOptions options) =>
        new() { HostCacheTokens = options.PromptCache?.HostCacheTokens ?? 0 };

    /// <summary>Gets the claim of a completion or chat request, reading the prompt cache options once.</summary>
    public static SlotClaim Generation(GenerationJob job, SimulatedGatewayOptions options)
    {
        var cache = options.PromptCache;
        List<ulong[]>? prompts = null;
        if (cache is not null && job.Prompts.All(static p => p.TokenIds is not null))
        {
            prompts = new List<ulong[]>(job.Prompts.Count * job.ChoicesPerPrompt);
            foreach (var prompt in job.Prompts)
            {
                for (var choice = 0; choice < job.ChoicesPerPrompt; choice++)
                {
                    prompts.Add(prompt.TokenIds!);
                }
            }
        }

        return new SlotClaim
        {
            PinnedSlot = job.SlotId,
            IsGeneration = true,
            TimingsPerToken = job.TimingsPerToken,
            Prompts = prompts,
            ReusePrefix = job.CachePrompt,
            Similarity = prompts is null ? 0 : cache!.SlotPromptSimilarity,
            HostCacheTokens = prompts is null ? 0 : cache!.HostCacheTokens,
        };
    }

    /// <summary>Gets the slot the request waits for (<c>id_slot</c>, not yet taken modulo the slots); negative for any.</summary>
    public int PinnedSlot { get; init; } = -1;

    /// <summary>Gets a value indicating whether the request is a completion or chat completion.</summary>
    public bool IsGeneration { get; init; }

    /// <summary>Gets the task's <c>timings_per_token</c> (false for embeddings), shown by <c>/slots</c> among its params.</summary>
    public bool TimingsPerToken { get; init; }

    /// <summary>
    /// Gets the token ids of the prompts the request runs, in order (each prompt once per choice), or
    /// <see langword="null"/> when the prompt cache is not modelled.
    /// </summary>
    public IReadOnlyList<ulong[]>? Prompts { get; init; }

    /// <summary>Gets a value indicating whether the prompts may reuse the slot's cached prefix (<c>cache_prompt</c>).</summary>
    public bool ReusePrefix { get; init; } = true;

    /// <summary>Gets the fraction of a prompt that a slot's cached prompt must exceed to be preferred.</summary>
    public double Similarity { get; init; }

    /// <summary>Gets the size of the host-memory prompt cache, in tokens; 0 for none.</summary>
    public int HostCacheTokens { get; init; }
}
