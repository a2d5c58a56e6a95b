namespace LocalBatch.Testing;

/// <summary>
/// The model of llama-server's prompt cache, set as <see cref="SimulatedGatewayOptions.PromptCache"/>: each slot
/// keeps the tokens of the last prompt it processed and reuses their longest common prefix with the next prompt
/// it takes, which is then reported as <c>usage.prompt_tokens_details.cached_tokens</c> and <c>timings.cache_n</c>
/// and costs no <see cref="SimulatedGatewayOptions.LatencyPerPromptToken"/>.
/// </summary>
/// <remarks>
/// <para>
/// Tokens are the simulator's words (see <see cref="SimulatedGateway"/>). A completion's prompt is its words (or,
/// for an array of token ids, its ids and words in order); a chat prompt is its messages rendered in order as a
/// chat template would: a start marker, the role and a separator, the content's words, an end marker. Chats that
/// share a system prompt and a document share that prefix.
/// </para>
/// <para>
/// Slot choice follows llama-server (b9596): a completion or chat request with <c>id_slot</c> ≥ 0 waits for slot
/// <c>id_slot % Slots</c>; any other request takes, among the idle slots, the one whose cached prompt shares the
/// largest fraction of the new prompt (common prefix ÷ new prompt's tokens) when that fraction is above
/// <see cref="SlotPromptSimilarity"/>, the first such slot on ties; otherwise the least recently used idle
/// slot (on ties, as llama-server's <c>&lt;=</c> comparison, the highest index). Requests that find no idle
/// slot wait in one first-come, first-served queue; a slot that frees goes to the first request waiting for that
/// very slot, else to the first request waiting for any slot.
/// </para>
/// <para>
/// A request with several prompts, or <c>n</c> above 1, runs all of them on its one slot, one after the other,
/// each matched against what the previous one left. As in llama-server, at least one token of every prompt is
/// processed (a prompt met again in full reuses all its tokens but the last), <c>"cache_prompt": false</c> reuses
/// nothing (the prompt is still cached for the next request), and only the prompt is kept, not the generated
/// tokens. Embeddings requests take a slot by least recent use and leave its cached prompt as it was.
/// </para>
/// </remarks>
public sealed class SimulatedPromptCacheOptions
{
    /// <summary>
    /// Gets or sets how much of a new prompt must be a common prefix with a slot's cached prompt for the request to
    /// prefer that slot, like llama-server's <c>--slot-prompt-similarity</c>: a fraction of the new prompt's tokens,
    /// which must be exceeded. 0 turns the preference off, so that every unpinned request takes the least recently
    /// used idle slot.
    /// </summary>
    /// <value>The default is 0.1, llama-server's default. Must be between 0 and 1.</value>
    public double SlotPromptSimilarity { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets the number of tokens of prompts kept in host memory besides the slots, like llama-server's
    /// <c>--cache-ram</c> (which counts MiB: one token takes 2 × layers × KV width × bytes per value, about 0.125 MiB
    /// on an 8B model with an f16 cache, so its default of 8192 MiB is about 65,000 such tokens). When it is above
    /// 0, as in llama-server: when a request takes the least recently used slot, or a slot of which it keeps less
    /// than half, the slot's prompt is saved to host memory and the saved prompt that best matches the new one is
    /// loaded in its place (if it matches better and keeps at least a quarter of itself); every time a slot is taken,
    /// the prompts of the idle slots are saved too; the oldest saved prompts are dropped beyond this many tokens,
    /// always keeping one.
    /// </summary>
    /// <value>The default is 0: no host-memory cache, like <c>--cache-ram 0</c>. Must not be negative.</value>
    public int HostCacheTokens { get; set; }

    internal void Validate(List<string> errors)
    {
        if (SlotPromptSimilarity is < 0 or > 1 || double.IsNaN(SlotPromptSimilarity))
        {
            errors.Add($"{nameof(SimulatedGatewayOptions.PromptCache)}.{nameof(SlotPromptSimilarity)} must be between 0 and 1 (was {SlotPromptSimilarity}).");
        }

        if (HostCacheTokens < 0)
        {
            errors.Add($"{nameof(SimulatedGatewayOptions.PromptCache)}.{nameof(HostCacheTokens)} must not be negative (was {HostCacheTokens}).");
        }
    }
}
