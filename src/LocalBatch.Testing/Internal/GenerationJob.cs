namespace LocalBatch.Testing.Internal;

/// <summary>A validated completion or chat completion request.</summary>
internal sealed class GenerationJob
{
    public required bool IsChat { get; init; }

    /// <summary>Gets the prompts: one per completion prompt, or the one chat transcript.</summary>
    public required IReadOnlyList<PromptInput> Prompts { get; init; }

    /// <summary>Gets the number of choices per prompt (<c>n</c>).</summary>
    public required int ChoicesPerPrompt { get; init; }

    /// <summary>Gets the requested number of completion tokens; negative means "until the context is full".</summary>
    public required int MaxTokens { get; init; }

    public required bool Stream { get; init; }
}
