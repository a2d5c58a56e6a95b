namespace LocalBatch.Cli;

/// <summary>
/// Where the llama.cpp servers are and their key, for every command that talks to them: the flag (repeated for several
/// servers), else the environment (<c>LOCALBATCH_ENDPOINT</c>, comma-separated for several; <c>LOCALBATCH_API_KEY</c>),
/// else <c>http://localhost:8080</c> and no key.
/// </summary>
internal static class GatewaySettings
{
    public const string EndpointVariable = "LOCALBATCH_ENDPOINT";
    public const string ApiKeyVariable = "LOCALBATCH_API_KEY";

    /// <summary>The servers: the flag's values, else the variable's comma-separated ones, else the default.</summary>
    /// <remarks>
    /// An address ending in <c>/v1</c> (llama-server's OpenAI routes, which many clients take as their base) is taken
    /// without it: the routes are added to the base address, so <c>http://host:8080/v1</c> would send every request to
    /// <c>/v1/v1/…</c> and get 404. <paramref name="notes"/> says which were changed, for <c>-v</c>.
    /// </remarks>
    /// <exception cref="CliUsageException">An address is not an http or https one.</exception>
    public static IReadOnlyList<Uri> Endpoints(IReadOnlyList<string>? flagValues, string flagName, out IReadOnlyList<string> notes)
    {
        var values = flagValues is { Count: > 0 }
            ? flagValues
            : (Environment.GetEnvironmentVariable(EndpointVariable) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        List<string> changed = [];
        notes = changed;
        if (values.Count == 0)
        {
            return [LocalBatchOptions.DefaultEndpoint];
        }

        return [.. values.Select(value =>
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliUsageException($"{flagName} must be an http or https address such as http://localhost:8080; got '{value}'.");
            }

            if (WithoutV1(uri) is not { } server)
            {
                return uri;
            }

            changed.Add($"{flagName} {value}: using {server} (without the trailing /v1: each request adds /v1/… itself)");
            return server;
        })];
    }

    /// <summary>Points <paramref name="options"/> at the servers: one as its Endpoint, several as its Endpoints.</summary>
    public static void Apply(LocalBatchOptions options, IReadOnlyList<Uri> endpoints)
    {
        options.Endpoint = endpoints[0];
        options.Endpoints = endpoints.Count > 1 ? [.. endpoints] : [];
    }

    public static string? ApiKey(string? flagValue) => NullIfBlank(flagValue ?? Environment.GetEnvironmentVariable(ApiKeyVariable));

    public static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>The address without its last path segment when that is <c>v1</c> (with or without a slash), else <see langword="null"/>.</summary>
    private static Uri? WithoutV1(Uri uri)
    {
        var path = uri.AbsolutePath.TrimEnd('/');
        if (!path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var builder = new UriBuilder(uri) { Path = path[..^"v1".Length], Query = string.Empty, Fragment = string.Empty };
        return builder.Uri;
    }
}
