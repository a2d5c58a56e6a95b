namespace LocalBatch.Testing.Internal;

/// <summary>
/// One server-sent event of a streamed answer: the opening role delta of a chat choice (<paramref name="Role"/>),
/// a piece of generated text, or the final chunk of a choice (<paramref name="Final"/>).
/// </summary>
internal sealed record StreamChunk(GenerationResult Result, int Choice, string? Text, bool Role, bool Final);
