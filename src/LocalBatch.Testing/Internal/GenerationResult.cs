namespace LocalBatch.Testing.Internal;

/// <summary>The simulated output of a <see cref="GenerationJob"/>.</summary>
internal sealed class GenerationResult
{
    public required string Id { get; init; }

    public required long Created { get; init; }

    public required string Model { get; init; }

    /// <summary>Gets the generated words of each choice, in choice-index order.</summary>
    public required IReadOnlyList<string[]> Choices { get; init; }

    public required int PromptTokens { get; init; }

    /// <summary>Gets the prompt tokens reused from the slot's cached prompt (<c>cached_tokens</c>).</summary>
    public required int CachedTokens { get; init; }

    public required int CompletionTokens { get; init; }

    public required double PromptMilliseconds { get; init; }

    public required double PredictedMilliseconds { get; init; }
}
