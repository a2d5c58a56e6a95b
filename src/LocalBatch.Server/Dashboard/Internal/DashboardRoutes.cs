using LocalBatch.Server.Batches.Internal;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>
/// The dashboard's routes under <c>/ui</c>: its two pages (the batches, a batch), the login page, the embedded script
/// and stylesheet, and the data its scripts read. Cancelling and downloading are the API's own handlers, mapped here
/// again behind the session instead of the key; every route but the login page and its stylesheet needs a session.
/// </summary>
internal static class DashboardRoutes
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var ui = endpoints.MapGroup(DashboardPaths.Prefix);
        ui.AddEndpointFilter<DashboardSessionFilter>().AddEndpointFilter<ApiErrorFilter>();
        ui.ExcludeFromDescription();

        ui.MapGet("/login", DashboardLogin.Page).AllowAnonymous();
        ui.MapPost("/login", DashboardLogin.LogInAsync).AllowAnonymous();
        ui.MapGet("/assets/app.css", static () => DashboardAssets.File("app.css")).AllowAnonymous();
        ui.MapPost("/logout", DashboardLogin.LogOut);
        ui.MapGet("/assets/{name}", DashboardAssets.File);
        ui.MapGet("/", static (HttpContext context) => DashboardAssets.Page("index.html", context));
        ui.MapGet("/batches/{batchId}", static (HttpContext context) => DashboardAssets.Page("batch.html", context));

        ui.MapGet("/api/batches", DashboardData.ListAsync);
        ui.MapGet("/api/batches/{batchId}", DashboardData.GetAsync);
        ui.MapPost("/api/batches/{batchId}/cancel", BatchEndpoints.CancelAsync);
        ui.MapGet("/api/files/{fileId}/content", FileEndpoints.GetContentAsync);

        // Nothing else under /ui reaches the gateway.
        ui.Map("/{**rest}", static (HttpContext context) => ApiError.NotFound($"Invalid URL ({context.Request.Method} {context.Request.Path}): no such page.").ToResult());
    }
}
