namespace LocalBatch.Testing.Internal;

/// <summary>A validated embeddings request.</summary>
internal sealed class EmbeddingJob
{
    public required IReadOnlyList<PromptInput> Inputs { get; init; }

    public required bool Base64 { get; init; }

    public int PromptTokens => Inputs.Sum(static i => i.Tokens);
}
