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
            ApiCaller.Set(context.HttpContext, ApiCaller.Anyone);
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
        var (byBearer, byApiKey) = (Identify(bearer), Identify(apiKey));
        if ((byBearer ?? byApiKey) is not { } caller)
        {
            return ValueTask.FromResult<object?>(Unauthorized(anthropic ? "invalid x-api-key" : "Incorrect API key provided."));
        }

        ApiCaller.Set(context.HttpContext, caller);
        return next(context);
    }

    /// <summary>
    /// Gets a value indicating whether requests need a key: with none set, every request is <see cref="ApiCaller.Anyone"/>'s.
    /// </summary>
    public bool RequiresKey => _keyHash is not null;

    /// <summary>
    /// Which caller a presented key belongs to: the one decision of identity, which the dashboard's login asks too.
    /// </summary>
    /// <returns>The caller, or <see langword="null"/> when the key is nobody's (or none is needed: see <see cref="RequiresKey"/>).</returns>
    public ApiCaller? Identify(string? presentedKey)
    {
        if (presentedKey is null || _keyHash is null)
        {
            return null;
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey.Trim()), presented);
        return CryptographicOperations.FixedTimeEquals(presented, _keyHash) ? ApiCaller.KeyHolder : null;
    }

    /// <summary>Whether a request is the one route open without a key: <c>GET</c> or <c>HEAD /health</c>, spelt so.</summary>
    public static bool IsOpenHealthCheck(HttpRequest request) =>
        string.Equals(request.Path.Value, HealthPath, StringComparison.Ordinal) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));

    private static IResult Unauthorized(string message) =>
        new ApiError(StatusCodes.Status401Unauthorized, message, ApiError.InvalidRequest, Code: "invalid_api_key").ToResult();
}
