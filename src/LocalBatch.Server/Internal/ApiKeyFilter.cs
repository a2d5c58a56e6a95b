using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.MessageBatches.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Internal;

/// <summary>
/// When the server takes keys (<see cref="LocalBatchServerOptions.ApiKey"/>, <see cref="LocalBatchServerOptions.KeysFile"/>),
/// lets a request through only with one of them, on every route but <c>GET</c> or <c>HEAD /health</c> (exactly that path:
/// any other method or spelling needs a key like every other route, since it reaches the gateway too): as
/// <c>Authorization: Bearer KEY</c> (OpenAI's SDKs) or <c>x-api-key: KEY</c> (Anthropic's SDKs, and llama-server's own
/// clients), on any route alike. Keys are compared in constant time (see <see cref="ApiKeySet"/>) and never echoed. The
/// request's <see cref="Caller"/> (who owns what it creates, what it may see) is set as a feature for the endpoints.
/// </summary>
internal sealed class ApiKeyFilter(ApiKeyRing keys) : IEndpointFilter
{
    private const string BearerPrefix = "Bearer ";
    private const string ApiKeyHeader = "x-api-key";
    private const string HealthPath = "/health";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (keys.IsOpen || IsOpenHealthCheck(request))
        {
            context.HttpContext.Features.Set(Caller.Admin);
            return next(context);
        }

        string? authorization = request.Headers.Authorization;
        var bearer = authorization is not null && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? authorization[BearerPrefix.Length..]
            : null;
        string? apiKey = request.Headers[ApiKeyHeader];
        var anthropic = MessageBatchEndpoints.Serves(request.Path);
        if (bearer is null && apiKey is null)
        {
            return ValueTask.FromResult<object?>(Unauthorized(anthropic
                ? "x-api-key header is required."
                : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."));
        }

        // Both are looked at, whichever is given: a client may send one of each (a key and an auth token).
        var current = keys.Current;
        var bearerCaller = current.Find(bearer);
        var apiKeyCaller = current.Find(apiKey);
        if ((bearerCaller ?? apiKeyCaller) is not { } caller)
        {
            return ValueTask.FromResult<object?>(Unauthorized(anthropic ? "invalid x-api-key" : "Incorrect API key provided."));
        }

        context.HttpContext.Features.Set(caller);
        return next(context);
    }

    /// <summary>Whether a request is the one route open without a key: <c>GET</c> or <c>HEAD /health</c>, spelt so.</summary>
    public static bool IsOpenHealthCheck(HttpRequest request) =>
        string.Equals(request.Path.Value, HealthPath, StringComparison.Ordinal) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));

    private static IResult Unauthorized(string message) =>
        new ApiError(StatusCodes.Status401Unauthorized, message, ApiError.InvalidRequest, Code: "invalid_api_key").ToResult();
}
