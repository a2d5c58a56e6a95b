using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LocalBatch.Server.Routing.Internal;

/// <summary>
/// Maps the routes of the APIs this server owns (the Files, Batch and Message Batches APIs), remembering each one's
/// method and pattern, and under each API's root one more route that answers every other request there itself: 405 with
/// <c>Allow</c> when the path is one of the API's routes but the method is not, else 404, in the API's own error shape.
/// Nothing under an owned root ever reaches the gateway (llama-server would answer its own "File Not Found").
/// </summary>
internal sealed class OwnedRoutes(IEndpointRouteBuilder api)
{
    private const int MaxPathShown = 200;

    private readonly List<(string[] Segments, string Method)> _routes = [];

    public void MapGet(string pattern, Delegate handler) => Map(pattern, HttpMethods.Get, handler);

    public void MapPost(string pattern, Delegate handler) => Map(pattern, HttpMethods.Post, handler);

    public void MapDelete(string pattern, Delegate handler) => Map(pattern, HttpMethods.Delete, handler);

    /// <summary>
    /// Answers every request under <paramref name="root"/> (the root itself included) that no mapped route takes: a
    /// catch-all there ranks below each route of the API and above the gateway proxy's catch-all.
    /// </summary>
    public void MapRoot(string root) => api.Map(root + "/{**rest}", (HttpContext context) => AnswerUnrouted(context));

    private void Map(string pattern, string method, Delegate handler)
    {
        api.MapMethods(pattern, [method], handler);
        _routes.Add((Split(pattern), method));
    }

    private IResult AnswerUnrouted(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var segments = Split(path);
        var allowed = _routes.Where(route => Matches(route.Segments, segments)).Select(static route => route.Method).Distinct().ToList();
        var shown = path.Length > MaxPathShown ? path[..MaxPathShown] + "…" : path;
        if (allowed.Count == 0)
        {
            return ApiError.NotFound($"Invalid URL ({request.Method} {shown}): no such route.").ToResult();
        }

        context.Response.Headers.Allow = string.Join(", ", allowed);
        return ApiError.NotAllowed($"Invalid method for {shown}: {request.Method} is not allowed; it takes {string.Join(" or ", allowed)}.").ToResult();
    }

    /// <summary>Whether a path's segments fit a pattern's: the same number, literal ones equal (ignoring case), <c>{parameter}</c> ones not empty.</summary>
    private static bool Matches(string[] pattern, string[] path) =>
        pattern.Length == path.Length
        && pattern.Zip(path).All(static pair => pair.First.StartsWith('{')
            ? pair.Second.Length > 0
            : pair.First.Equals(pair.Second, StringComparison.OrdinalIgnoreCase));

    private static string[] Split(string path) => path.Trim('/').Split('/');
}
