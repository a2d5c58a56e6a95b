using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>Where the dashboard lives: <c>/ui</c>, under whatever prefix the API was mapped with.</summary>
internal static class DashboardPaths
{
    /// <summary>The dashboard's root, relative to where the API is mapped.</summary>
    public const string Prefix = "/ui";

    /// <summary>The session cookie's name.</summary>
    public const string CookieName = "localbatch_session";

    /// <summary>
    /// The header the dashboard's scripts send with every request that changes something (a cancel): a form on another
    /// site cannot send it without a CORS preflight, which this server never allows.
    /// </summary>
    public const string ScriptHeader = "X-LocalBatch-Dashboard";

    /// <summary>The dashboard's root as the browser sees it, such as <c>/ui</c>: the path base, the group's prefix and <see cref="Prefix"/>.</summary>
    public static string Root(HttpContext context)
    {
        var pattern = "/" + ((context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? Prefix).Trim('/') + "/";
        var at = pattern.IndexOf(Prefix + "/", StringComparison.Ordinal);
        return context.Request.PathBase.Value + (at > 0 ? pattern[..at] : string.Empty) + Prefix;
    }
}
