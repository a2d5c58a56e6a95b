namespace LocalBatch.Cli;

/// <summary>
/// Where the llama.cpp server is and its key, for every command that talks to it: the flag, else the environment
/// (<c>LOCALBATCH_ENDPOINT</c>, <c>LOCALBATCH_API_KEY</c>), else <c>http://localhost:8080</c> and no key.
/// </summary>
internal static class GatewaySettings
{
    public const string EndpointVariable = "LOCALBATCH_ENDPOINT";
    public const string ApiKeyVariable = "LOCALBATCH_API_KEY";

    /// <exception cref="CliUsageException">The address is not an http or https one.</exception>
    public static Uri Endpoint(string? flagValue, string flagName)
    {
        var value = flagValue ?? Environment.GetEnvironmentVariable(EndpointVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return LocalBatchOptions.DefaultEndpoint;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new CliUsageException($"{flagName} must be an http or https address such as http://localhost:8080; got '{value}'.");
    }

    public static string? ApiKey(string? flagValue) => NullIfBlank(flagValue ?? Environment.GetEnvironmentVariable(ApiKeyVariable));

    public static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
