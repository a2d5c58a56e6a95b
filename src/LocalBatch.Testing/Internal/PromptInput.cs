namespace LocalBatch.Testing.Internal;

/// <summary>
/// One prompt or embedding input: the canonical text it is hashed from, its token count, and, when the prompt
/// cache is modelled, its token ids (<paramref name="Tokens"/> of them).
/// </summary>
internal readonly record struct PromptInput(string Text, int Tokens, ulong[]? TokenIds = null);
