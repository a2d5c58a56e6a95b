using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Internal;

/// <summary>
/// When <see cref="LocalBatchServerOptions.ApiKey"/> is set, lets a request through only with
/// <c>Authorization: Bearer KEY</c>, on every route but <c>GET</c> or <c>HEAD /health</c> (exactly that path: any other
/// method or spelling needs the key like every other route, since it reaches the gateway too). The key is compared in constant time (its
/// SHA-256 against the presented one's, so that neither content nor length leaks through timing), and never echoed.
/// </summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    private const string BearerPrefix = "Bearer ";
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

        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult<object?>(Unauthorized(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."));
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(header[BearerPrefix.Length..].Trim()), presented);
        return CryptographicOperations.FixedTimeEquals(presented, _keyHash)
            ? next(context)
            : ValueTask.FromResult<object?>(Unauthorized("Incorrect API key provided."));
    }

    /// <summary>Whether a request is the one route open without a key: <c>GET</c> or <c>HEAD /health</c>, spelt so.</summary>
    public static bool IsOpenHealthCheck(HttpRequest request) =>
        string.Equals(request.Path.Value, HealthPath, StringComparison.Ordinal) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));

    private static IResult Unauthorized(string message) =>
        new ApiError(StatusCodes.Status401Unauthorized, message, ApiError.InvalidRequest, Code: "invalid_api_key").ToResult();
}
