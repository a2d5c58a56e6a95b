namespace LocalBatch.Testing.Internal;

/// <summary>The routes the simulated gateway answers.</summary>
internal enum GatewayRoute
{
    NotFound,
    Completions,
    ChatCompletions,
    Embeddings,
    Models,
    Health,
    Props,
}
