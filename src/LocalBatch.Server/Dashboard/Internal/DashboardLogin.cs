using System.Text.Encodings.Web;
using LocalBatch.Server.Keys.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>
/// Logging in to the dashboard once with the API key, posted in a form's body (never in a URL), and checked by
/// <see cref="ApiKeySet.FindHash"/>, the API's own check: a good key starts a session whose random id goes to an
/// <c>HttpOnly</c>, <c>SameSite=Strict</c> cookie scoped to the dashboard's path; logging out ends it.
/// </summary>
internal static class DashboardLogin
{
    private const string KeyField = "key";

    /// <summary>The login page; straight to the dashboard when no key is needed, or the session is live.</summary>
    public static IResult Page(HttpContext context, DashboardSessions sessions, ApiKeyRing keys) =>
        sessions.CallerOf(context.Request.Cookies[DashboardPaths.CookieName], keys) is not null
            ? Results.Redirect(DashboardPaths.Root(context) + "/")
            : LoginPage(context, error: null, StatusCodes.Status200OK);

    public static async Task<IResult> LogInAsync(HttpContext context, DashboardSessions sessions, ApiKeyRing keys)
    {
        if (keys.IsOpen)
        {
            return Results.Redirect(DashboardPaths.Root(context) + "/", permanent: false, preserveMethod: false);
        }

        if (!context.Request.HasFormContentType)
        {
            return LoginPage(context, "Send the key from the login form.", StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var keyHash = ApiKeySet.Hash(form[KeyField].ToString());
        if (keys.Current.FindHash(keyHash) is null)
        {
            return LoginPage(context, "That key is not valid here.", StatusCodes.Status401Unauthorized);
        }

        sessions.End(context.Request.Cookies[DashboardPaths.CookieName]);
        context.Response.Cookies.Append(DashboardPaths.CookieName, sessions.Start(keyHash), CookieOptions(context));
        return SeeOther(DashboardPaths.Root(context) + "/");
    }

    public static IResult LogOut(HttpContext context, DashboardSessions sessions)
    {
        sessions.End(context.Request.Cookies[DashboardPaths.CookieName]);
        context.Response.Cookies.Delete(DashboardPaths.CookieName, CookieOptions(context));
        return SeeOther(DashboardPaths.Root(context) + "/login");
    }

    private static CookieOptions CookieOptions(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = DashboardPaths.Root(context),
        IsEssential = true,
    };

    /// <summary>303: the browser follows a POST's answer with a GET, and a reload does not post the key again.</summary>
    private static IResult SeeOther(string location) => new SeeOtherResult(location);

    private static IResult LoginPage(HttpContext context, string? error, int statusCode) =>
        DashboardAssets.Page("login.html", context, statusCode, ("error", HtmlEncoder.Default.Encode(error ?? string.Empty)));

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
