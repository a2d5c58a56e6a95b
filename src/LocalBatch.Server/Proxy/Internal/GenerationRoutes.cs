using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// The proxied routes that take one of llama-server's slots while they run (a generation, an embedding, a rerank): each
/// is counted in the slot ledger for its whole duration and sent to the gateway with the most free slots. Every other
/// route (<c>/health</c>, <c>/props</c>, <c>/slots</c>, <c>/v1/models</c>, <c>/tokenize</c>, <c>/detokenize</c>,
/// <c>/apply-template</c>, <c>/v1/messages/count_tokens</c>, …) llama-server answers without a slot.
/// </summary>
internal static class GenerationRoutes
{
    /// <summary>The paths, with and without llama-server's <c>/v1</c> aliases, that run in a slot.</summary>
    public static readonly IReadOnlySet<string> Paths = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "/completion", "/completions", "/v1/completions",
        "/chat/completions", "/v1/chat/completions",
        "/v1/responses", "/responses",
        "/v1/messages",
        "/infill",
        "/embedding", "/embeddings", "/v1/embeddings",
        "/rerank", "/reranking", "/v1/rerank", "/v1/reranking",
    };

    /// <summary>Whether a request takes a slot: a POST to one of <see cref="Paths"/> (a trailing <c>/</c> ignored).</summary>
    public static bool TakesASlot(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Path.Value is { } path
        && Paths.Contains(path.Length > 1 ? path.TrimEnd('/') : path);
}
