using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>
/// Lets a dashboard request through only with a live session (or on a server that needs no key), and records its
/// caller on the request as <see cref="ApiKeyFilter"/> does for the API, so that the handlers the two share see the
/// same caller. Without one, a page goes to the login page and a data request is a 401; only the routes marked
/// <see cref="IAllowAnonymous"/> (the login page and its stylesheet) are open. A request that changes something must
/// also carry <see cref="DashboardPaths.ScriptHeader"/>. Every answer gets headers that keep the pages to their own
/// scripts and out of other sites' frames.
/// </summary>
internal sealed class DashboardSessionFilter(DashboardSessions sessions, ApiKeyRing keys) : IEndpointFilter
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return next(context);
        }

        var caller = sessions.CallerOf(http.Request.Cookies[DashboardPaths.CookieName], keys);
        var isData = http.Request.Path.Value?.Contains(DashboardPaths.Prefix + "/api/", StringComparison.Ordinal) == true;
        if (caller is null)
        {
            return ValueTask.FromResult<object?>(isData
                ? new ApiError(StatusCodes.Status401Unauthorized, "Log in to the dashboard first: your session has ended.", Code: "invalid_session").ToResult()
                : Results.Redirect(DashboardPaths.Root(http) + "/login"));
        }

        if (isData && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !http.Request.Headers.ContainsKey(DashboardPaths.ScriptHeader))
        {
            return ValueTask.FromResult<object?>(new ApiError(StatusCodes.Status403Forbidden, $"The dashboard's requests that change something carry {DashboardPaths.ScriptHeader}.", Code: "missing_dashboard_header").ToResult());
        }

        http.Features.Set(caller);
        return next(context);
    }
}
