namespace LocalBatch.Testing.Internal;

/// <summary>One prompt or embedding input: the canonical text it is hashed from and its token count.</summary>
internal readonly record struct PromptInput(string Text, int Tokens);
