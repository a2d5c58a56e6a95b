namespace LocalBatch.Testing.Internal;

/// <summary>The routes the simulated gateway answers.</summary>
internal enum GatewayRoute
{
    NotFound,
    Completions,
    ChatCompletions,
    Embeddings,

    /// <summary>OpenAI's Responses API, <c>POST /v1/responses</c>, answered unstreamed in llama-server's shape.</summary>
    Responses,

    /// <summary>Anthropic's Messages API, <c>POST /v1/messages</c>, answered unstreamed in llama-server's shape.</summary>
    Messages,
    Models,
    Health,
    Props,
}
