namespace LocalBatch.Testing.Internal;

/// <summary>Maps a method and path to a <see cref="GatewayRoute"/>, like llama-server's router.</summary>
internal static class GatewayRoutes
{
    public static GatewayRoute Resolve(string method, string path)
    {
        if (HttpMethodsEqual(method, "POST"))
        {
            return path switch
            {
                "/v1/completions" or "/completions" => GatewayRoute.Completions,
                "/v1/chat/completions" or "/chat/completions" => GatewayRoute.ChatCompletions,
                "/v1/embeddings" or "/embeddings" => GatewayRoute.Embeddings,
                "/v1/responses" or "/responses" => GatewayRoute.Responses,
                "/v1/messages" => GatewayRoute.Messages,
                _ => GatewayRoute.NotFound,
            };
        }

        if (HttpMethodsEqual(method, "GET"))
        {
            return path switch
            {
                "/v1/models" or "/models" => GatewayRoute.Models,
                "/health" or "/v1/health" => GatewayRoute.Health,
                "/props" => GatewayRoute.Props,
                _ => GatewayRoute.NotFound,
            };
        }

        return GatewayRoute.NotFound;
    }

    /// <summary>Whether a path is served without the API key.</summary>
    public static bool IsPublic(string path) =>
        path is "/health" or "/v1/health" or "/models" or "/v1/models";

    public static bool IsGeneration(this GatewayRoute route) =>
        route is GatewayRoute.Completions or GatewayRoute.ChatCompletions or GatewayRoute.Embeddings or GatewayRoute.Responses or GatewayRoute.Messages;

    private static bool HttpMethodsEqual(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
