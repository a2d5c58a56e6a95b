using System.Net;
using LocalBatch.Server.Dashboard.Internal;
using LocalBatch.Server.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Dashboard;

public sealed class DashboardAuthTests
{
    private const string Key = "dashboard-key-9b3e";

    /// <summary>
    /// Every dashboard route the server maps (read from its endpoints, so that a new one is tried too): without a
    /// session, with a made-up one, or with the key as a header (the dashboard takes only its session), a page goes to
    /// the login page and a data request is a 401; only the login page and its stylesheet answer. With a session, none does.
    /// </summary>
    [Fact]
    public async Task KeySet_EveryDashboardRouteButLogin_NeedsASession()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key, clientKey: Key);
        var job = await env.RunBatchAsync(ChatLines(2, i => i == 2 ? "FAIL" : "ok"));
        var samples = new Dictionary<string, string> { ["batchId"] = job.Id, ["fileId"] = job.OutputFileId!, ["name"] = "common.js", ["rest"] = "nothing/here" };
        var routes = DashboardRequests(env, samples);
        string?[] refused = [null, "localbatch_session=made-up-session"];

        foreach (var (method, path) in routes.Where(route => !route.Path.EndsWith("/login", StringComparison.Ordinal) && route.Path != "/ui/assets/app.css"))
        {
            foreach (var cookie in refused)
            {
                using var http = Client(env, cookie);
                http.DefaultRequestHeaders.Authorization = new("Bearer", Key);
                var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

                var text = await response.Content.ReadAsStringAsync();
                Assert.DoesNotContain("data-root", text, StringComparison.Ordinal);
                if (path.StartsWith("/ui/api/", StringComparison.Ordinal))
                {
                    Assert.Equal("invalid_session", (await ErrorAsync(response, 401)).GetProperty("code").GetString());
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{method} {path} with cookie '{cookie}': {(int)response.StatusCode}");
                    Assert.Equal("/ui/login", response.Headers.Location?.OriginalString);
                }
            }
        }

        using var session = Client(env, await LogInAsync(env, Key));
        foreach (var (method, path) in routes.Where(route => !route.Path.EndsWith("/login", StringComparison.Ordinal) && route.Method != "POST"))
        {
            var response = await session.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Redirect), $"{method} {path} with a session: {(int)response.StatusCode}");
        }

        // login (page and form), stylesheet, logout, script, the two pages, the list, a batch, cancel, a file, and the rest.
        Assert.Equal(12, routes.Count);
    }

    [Fact]
    public async Task LogIn_WithTheKey_SetsAStrictHttpOnlySessionCookieThatIsNotTheKey()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key, clientKey: Key);
        using var http = Client(env, cookie: null);

        var response = await http.PostAsync("/ui/login", new FormUrlEncodedContent([new("key", Key)]));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/ui/", response.Headers.Location?.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(DashboardPaths.CookieName + "=", cookie, StringComparison.Ordinal);
        Assert.Contains("path=/ui", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Key, cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain(env.Logs.Lines, line => line.Contains(Key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("")]
    [InlineData(Key + "x")]
    public async Task LogIn_WithAnotherKey_Is401WithTheFormAndNoCookie(string key)
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key);
        using var http = Client(env, cookie: null);

        var response = await http.PostAsync("/ui/login", new FormUrlEncodedContent([new("key", key)]));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains("That key is not valid here.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogOut_EndsTheSession()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key);
        using var http = Client(env, await LogInAsync(env, Key));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/ui/api/batches")).StatusCode);

        var response = await http.PostAsync("/ui/logout", content: null);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/ui/api/batches")).StatusCode);
    }

    [Fact]
    public async Task Cancel_WithoutTheDashboardsHeader_IsRefused()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key, concurrency: 1, clientKey: Key);
        env.Env.PauseAtChatRequest(1);
        var file = await env.UploadAsync(ChatLines(3));
        var (_, batch) = await env.CreateBatchAsync(file.Id);
        var id = batch.GetProperty("id").GetString()!;
        using var http = Client(env, await LogInAsync(env, Key));

        var refused = await http.PostAsync($"/ui/api/batches/{id}/cancel", content: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/ui/api/batches/{id}/cancel") { Headers = { { DashboardPaths.ScriptHeader, "1" } } };
        var cancelled = await http.SendAsync(request);

        Assert.Equal("missing_dashboard_header", (await ErrorAsync(refused, 403)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Contains("cancell", (await JsonAsync(cancelled)).GetProperty("status").GetString(), StringComparison.Ordinal);
        env.Gateway.Resume();
    }

    [Fact]
    public async Task NoKeySet_TheDashboardIsOpen_AndTheLoginPageLeadsToIt()
    {
        await using var env = await ServeAsync();
        using var http = Client(env, cookie: null);

        var list = await http.GetAsync("/ui/");
        var login = await http.GetAsync("/ui/login");

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains("data-root=\"/ui\"", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("script-src 'self'", list.Headers.GetValues("Content-Security-Policy").Single().Split(';')[1].Trim());
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }

    [Fact]
    public async Task ServeDashboardOff_NothingUnderUiIsServed()
    {
        await using var env = await ServeAsync(o => o.ServeDashboard = false);
        using var http = Client(env, cookie: null);

        var page = await http.GetAsync("/ui/login");

        Assert.DoesNotContain("API key", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(
            env.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>(),
            endpoint => endpoint.RoutePattern.RawText!.StartsWith("/ui/", StringComparison.Ordinal));
    }

    /// <summary>Logs in through the form; returns the session cookie, as <c>name=value</c>.</summary>
    internal static async Task<string> LogInAsync(ServerTestEnvironment env, string key)
    {
        using var http = Client(env, cookie: null);
        var response = await http.PostAsync("/ui/login", new FormUrlEncodedContent([new("key", key)]));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    /// <summary>A client that follows no redirect and sends <paramref name="cookie"/>, as a browser on the dashboard would.</summary>
    internal static HttpClient Client(ServerTestEnvironment env, string? cookie)
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = env.Server.BaseAddress };
        if (cookie is not null)
        {
            http.DefaultRequestHeaders.Add("Cookie", cookie);
        }

        return http;
    }

    private static List<(string Method, string Path)> DashboardRequests(ServerTestEnvironment env, Dictionary<string, string> samples) =>
        [.. env.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText!.StartsWith("/ui/", StringComparison.Ordinal))
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => (method, endpoint.RoutePattern.Parameters.Aggregate(
                    endpoint.RoutePattern.RawText!,
                    (path, parameter) => path.Replace(parameter.IsCatchAll ? $"{{**{parameter.Name}}}" : $"{{{parameter.Name}}}", samples[parameter.Name], StringComparison.Ordinal)))))];
}
