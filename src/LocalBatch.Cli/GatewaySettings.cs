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
    /// <exception cref="CliUsageException">An address is not an http or https one.</exception>
    public static IReadOnlyList<Uri> Endpoints(IReadOnlyList<string>? flagValues, string flagName)
    {
        var values = flagValues is { Count: > 0 }
            ? flagValues
            : (Environment.GetEnvironmentVariable(EndpointVariable) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (values.Count == 0)
        {
            return [LocalBatchOptions.DefaultEndpoint];
        }

        return [.. values.Select(value =>
            Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                ? uri
                : throw new CliUsageException($"{flagName} must be an http or https address such as http://localhost:8080; got '{value}'."))];
    }

    /// <summary>Points <paramref name="options"/> at the servers: one as its Endpoint, several as its Endpoints.</summary>
    public static void Apply(LocalBatchOptions options, IReadOnlyList<Uri> endpoints)
    {
        options.Endpoint = endpoints[0];
        options.Endpoints = endpoints.Count > 1 ? [.. endpoints] : [];
    }

    public static string? ApiKey(string? flagValue) => NullIfBlank(flagValue ?? Environment.GetEnvironmentVariable(ApiKeyVariable));

    public static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
