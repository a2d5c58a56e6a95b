using System.Security.Cryptography;
using System.Text;
using LocalBatch.Server.MessageBatches.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Internal;

/// <summary>
/// When <see cref="LocalBatchServerOptions.ApiKey"/> is set, lets a request through only with the key, on every route but
/// <c>GET</c> or <c>HEAD /health</c> (exactly that path: any other method or spelling needs the key like every other route,
/// since it reaches the gateway too): as <c>Authorization: Bearer KEY</c> (OpenAI's SDKs) or <c>x-api-key: KEY</c>
/// (Anthropic's SDKs, and llama-server's own clients), on any route alike. The key is compared in constant time (its
/// SHA-256 against the presented one's, so that neither content nor length leaks through timing), and never echoed.
/// </summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    private const string BearerPrefix = "Bearer ";
    private const string ApiKeyHeader = "x-api-key";
    private const string HealthPath = "/health";

    private readonly byte[]? _keyHash;

    public ApiKeyFilter(IOptions<LocalBatchServerOptions> options)
    {
        _keyHash = options.Value.ApiKey is { } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (_keyHash is null || IsOpenHealthCheck(request))
        {
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
        return Matches(bearer) | Matches(apiKey)
            ? next(context)
            : ValueTask.FromResult<object?>(Unauthorized(anthropic ? "invalid x-api-key" : "Incorrect API key provided."));
    }

    private bool Matches(string? presentedKey)
    {
        if (presentedKey is null)
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey.Trim()), presented);
        return CryptographicOperations.FixedTimeEquals(presented, _keyHash);
    }

    /// <summary>Whether a request is the one route open without a key: <c>GET</c> or <c>HEAD /health</c>, spelt so.</summary>
    public static bool IsOpenHealthCheck(HttpRequest request) =>
        string.Equals(request.Path.Value, HealthPath, StringComparison.Ordinal) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));

    private static IResult Unauthorized(string message) =>
        new ApiError(StatusCodes.Status401Unauthorized, message, ApiError.InvalidRequest, Code: "invalid_api_key").ToResult();
}
