namespace LocalBatch.Testing.Internal;

/// <summary>A validated completion, chat completion, response or Anthropic message request.</summary>
internal sealed class GenerationJob
{
    /// <summary>Gets a value indicating whether the prompt is a chat transcript (chat, responses and messages alike).</summary>
    public required bool IsChat { get; init; }

    /// <summary>Gets the route whose answer shape the job gets.</summary>
    public GatewayRoute Route { get; init; } = GatewayRoute.Completions;

    /// <summary>Gets the prompts: one per completion prompt, or the one chat transcript.</summary>
    public required IReadOnlyList<PromptInput> Prompts { get; init; }

    /// <summary>Gets the number of choices per prompt (<c>n</c>).</summary>
    public required int ChoicesPerPrompt { get; init; }

    /// <summary>Gets the requested number of completion tokens; negative means "until the context is full".</summary>
    public required int MaxTokens { get; init; }

    public required bool Stream { get; init; }

    /// <summary>Gets the slot the request asks for (<c>id_slot</c>); negative for any slot.</summary>
    public int SlotId { get; init; } = -1;

    /// <summary>Gets a value indicating whether the request may reuse the slot's cached prompt (<c>cache_prompt</c>).</summary>
    public bool CachePrompt { get; init; } = true;

    /// <summary>Gets the task's <c>timings_per_token</c>, which <c>/slots</c> shows among its params.</summary>
    public bool TimingsPerToken { get; init; }
}
