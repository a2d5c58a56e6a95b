using System.Collections.Frozen;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>
/// The dashboard's pages, script and stylesheet, embedded in this assembly (<c>Dashboard/Assets</c>, resources named
/// <c>dashboard/NAME</c>): nothing is read from disk or fetched from another site, so it works offline. A page's
/// <c>{{root}}</c> becomes the dashboard's root path, HTML-encoded.
/// </summary>
internal static class DashboardAssets
{
    private const string ResourcePrefix = "dashboard/";

    private static readonly FrozenDictionary<string, string> s_contentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, byte[]> s_assets = Load();

    /// <summary>The names of the embedded assets, such as <c>app.css</c>.</summary>
    public static IEnumerable<string> Names => s_assets.Keys;

    /// <summary>A script or stylesheet as it is (404 for a name that is not one).</summary>
    public static IResult File(string name) =>
        s_assets.TryGetValue(name, out var bytes) && !name.EndsWith(".html", StringComparison.Ordinal)
            ? Results.Bytes(bytes, ContentTypeOf(name))
            : Results.NotFound();

    /// <summary>A page, with <c>{{root}}</c> and each <c>{{name}}</c> of <paramref name="values"/> (already encoded) filled in.</summary>
    public static IResult Page(string name, HttpContext context, int statusCode = StatusCodes.Status200OK, params (string Name, string Value)[] values)
    {
        var text = new StringBuilder(Encoding.UTF8.GetString(s_assets[name]))
            .Replace("{{root}}", HtmlEncoder.Default.Encode(DashboardPaths.Root(context)));
        foreach (var (key, value) in values)
        {
            text.Replace("{{" + key + "}}", value);
        }

        return Results.Text(text.ToString(), ContentTypeOf(name), Encoding.UTF8, statusCode);
    }

    private static string ContentTypeOf(string name) =>
        s_contentTypes.TryGetValue(Path.GetExtension(name), out var type) ? type : "application/octet-stream";

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(static name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[resource[ResourcePrefix.Length..]] = copy.ToArray();
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
