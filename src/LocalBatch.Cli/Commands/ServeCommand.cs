using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using LocalBatch.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// <c>localbatch serve</c>: OpenAI's Files and Batch API over HTTP in front of the gateway, every other route proxied
/// to it, on the same store as <c>run</c>. Ctrl+C stops it; unfinished batches resume at the next start.
/// </summary>
internal static partial class ServeCommand
{
    public const string ApiKeyVariable = "LOCALBATCH_SERVE_API_KEY";

    public static Command Create(CliContext context)
    {
        var gateway = new Option<string[]>("--gateway") { Description = $"The llama.cpp server batches run against and other routes go to; repeat it to spread batches and proxied generations over several (by free slots; other routes go to the first healthy one) (default ${GatewaySettings.EndpointVariable}, comma-separated for several, else http://localhost:8080)." };
        var urls = new Option<string>("--urls") { Description = "Where to listen, separated by ';' (loopback only by default).", DefaultValueFactory = _ => LocalBatchServer.DefaultUrls };
        var apiKey = new Option<string?>("--api-key") { Description = $"A single admin key clients must send as 'Authorization: Bearer KEY' on every route but /health (default ${ApiKeyVariable}; none and no --keys: open)." };
        var keys = ServeKeysCommand.KeysFileOption("The keys file of a team: named keys (SHA-256 hashes), each seeing only its own files and batches, admins all; reread when it changes. `serve keys add` writes it.");
        var gatewayApiKey = new Option<string?>("--gateway-api-key") { Description = $"The key this server sends to the gateway (default ${GatewaySettings.ApiKeyVariable}); a client's key is never forwarded." };
        var retention = new Option<string?>("--retention") { Description = "How long finished batches and uploaded files are kept, such as 7d or 12h (default: until deleted)." };
        var maxUploadSize = new Option<string>("--max-upload-size") { Description = "The largest file an upload may have, such as 200MB or 1GB (KB, MB, GB: powers of 1024).", DefaultValueFactory = _ => "200MB" };
        var noUi = new Option<bool>("--no-ui") { Description = "Do not serve the batch dashboard at /ui (served by default, behind a login with the --api-key)." };
        var stateDir = CommonOptions.StateDirectory();
        var batchPriority = CommonOptions.BatchPriority();

        var command = new Command("serve", "Serve OpenAI's Files and Batch API (/v1/files, /v1/batches) over HTTP, proxying every other route to the gateway.")
        {
            gateway, urls, stateDir, apiKey, keys, gatewayApiKey, retention, maxUploadSize, batchPriority, noUi,
        };
        command.Add(ServeKeysCommand.Create(context));

        command.SetAction((parsed, cancellationToken) => ServeAsync(
            context,
            new ServeSettings(
                GatewaySettings.Endpoints(parsed.GetValue(gateway), "--gateway", out var gatewayNotes),
                parsed.GetValue(urls)!,
                parsed.GetValue(stateDir)!,
                ClientApiKey(parsed.GetValue(apiKey)),
                GatewaySettings.ApiKey(parsed.GetValue(gatewayApiKey)),
                ParseRetention(parsed.GetValue(retention)),
                ParseSize(parsed.GetValue(maxUploadSize)!))
            {
                Notes = gatewayNotes,
                BatchPriority = CommonOptions.ReadBatchPriority(parsed, batchPriority),
                KeysFile = parsed.GetValue(keys),
                Dashboard = !parsed.GetValue(noUi),
            },
            cancellationToken));
        return command;
    }

    internal sealed record ServeSettings(IReadOnlyList<Uri> Gateways, string Urls, string StateDirectory, string? ApiKey, string? GatewayApiKey, TimeSpan? Retention, long MaxUploadSize)
    {
        /// <summary>Gets what was made of the --gateway values (a trailing /v1 left out).</summary>
        public IReadOnlyList<string> Notes { get; init; } = [];

        /// <summary>Gets how batches share the gateways with proxied requests (<c>--batch-priority</c>).</summary>
        public BatchPriority BatchPriority { get; init; } = BatchPriority.Background;

        /// <summary>Gets the keys file (<c>--keys</c>), or <see langword="null"/>.</summary>
        public string? KeysFile { get; init; }

        /// <summary>Gets a value indicating whether the dashboard is served at /ui (not with --no-ui).</summary>
        public bool Dashboard { get; init; } = true;
    }

    private static async Task<int> ServeAsync(CliContext context, ServeSettings settings, CancellationToken cancellationToken)
    {
        foreach (var note in settings.Notes)
        {
            await context.Error.WriteLineAsync("localbatch: " + note).ConfigureAwait(false);
        }

        if (settings.ApiKey is null && settings.KeysFile is null && ServeStartup.Exposed(settings.Urls) is { Count: > 0 } exposed)
        {
            await context.Error.WriteLineAsync(ServeStartup.ExposedWithoutKeyWarning(exposed)).ConfigureAwait(false);
        }

        var startup = new ServeStartup();
        LocalBatchServer server;
        try
        {
            server = await LocalBatchServer.StartAsync(
                options =>
                {
                    options.Gateway = settings.Gateways[0];
                    options.Gateways = [.. settings.Gateways];
                    options.StateDirectory = settings.StateDirectory;
                    options.ApiKey = settings.ApiKey;
                    options.KeysFile = settings.KeysFile;
                    options.GatewayApiKey = settings.GatewayApiKey;
                    options.Retention = settings.Retention;
                    options.MaxUploadSize = settings.MaxUploadSize;
                    options.BatchPriority = settings.BatchPriority;
                    options.ServeDashboard = settings.Dashboard;
                },
                settings.Urls,
                host =>
                {
                    ConfigureHost(host);
                    startup.QuietUntilListening(host.Logging);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            throw new CliUsageException(string.Join(" ", ex.Failures), ex);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // A port in use (Kestrel's IOException around the socket's error), an address that is not this machine's: said
            // once, without the frameworks' stack trace.
            var cause = (ex.InnerException ?? ex).Message.TrimEnd('.');
            await context.Error.WriteLineAsync($"localbatch: cannot listen on {settings.Urls}: {cause}. Choose another address or port with --urls.").ConfigureAwait(false);
            return ExitCodes.Fatal;
        }

        startup.Listening();

        await using (server.ConfigureAwait(false))
        {
            var key = settings.KeysFile is not null ? $"clients need a key of {Path.GetFullPath(settings.KeysFile)}{(settings.ApiKey is null ? string.Empty : " or the API key")}"
                : settings.ApiKey is null ? "no key needed" : "clients need the API key";
            await context.Error.WriteLineAsync(
                $"localbatch: serving the Files and Batch API at {string.Join(", ", server.Addresses.Select(a => new Uri(a, "v1")))} and the Message Batches API at {string.Join(", ", server.Addresses)} ({key}); batches run on {string.Join(", ", settings.Gateways)}, {(settings.Gateways.Count == 1 ? $"other routes go to {settings.Gateways[0]}" : "proxied generations go to the one with the most free slots, other routes to the first healthy one")}{(settings.BatchPriority == BatchPriority.Foreground ? ", batches take every slot (--batch-priority foreground)" : string.Empty)}; {Dashboard(server, settings.Dashboard)}store {Path.GetFullPath(settings.StateDirectory)}. Ctrl+C to stop.").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await context.Error.WriteLineAsync("localbatch: stopping; unfinished batches resume at the next start.").ConfigureAwait(false);
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>Where the dashboard is, as the listening line says it (nothing with --no-ui).</summary>
    private static string Dashboard(LocalBatchServer server, bool served) =>
        served ? $"dashboard at {string.Join(", ", server.Addresses.Select(static a => new Uri(a, "ui/")))}; " : string.Empty;

    /// <summary>Log lines to stderr, the server's own at Information, the frameworks' only when they warn.</summary>
    private static void ConfigureHost(WebApplicationBuilder host)
    {
        host.Services.Configure<HostOptions>(static o => o.ShutdownTimeout = TimeSpan.FromSeconds(1)); // within Ctrl+C's grace period
        host.Logging
            .AddSimpleConsole(static o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System", LogLevel.Warning)
            .AddFilter("Yarp", LogLevel.Warning)
            .AddFilter("LocalBatch", LogLevel.Information);
        host.Services.Configure<ConsoleLoggerOptions>(static o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    /// <summary>The key clients need: the flag (which must not be blank), else the environment variable, else none.</summary>
    private static string? ClientApiKey(string? flagValue) => flagValue is null
        ? GatewaySettings.NullIfBlank(Environment.GetEnvironmentVariable(ApiKeyVariable))
        : GatewaySettings.NullIfBlank(flagValue) ?? throw new CliUsageException("--api-key must not be blank; leave it out for a server without a key.");

    /// <exception cref="CliUsageException">The value is not a number followed by s, m, h, d or w.</exception>
    internal static TimeSpan? ParseRetention(string? value) =>
        value is null ? null : CliDurations.Parse("--retention", value, "7d or 12h", TimeSpan.MaxValue / 2);

    /// <exception cref="CliUsageException">The value is not a size such as 200MB.</exception>
    internal static long ParseSize(string value)
    {
        var match = SizePattern().Match(value.Trim());
        if (!match.Success || !long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
        {
            throw new CliUsageException($"--max-upload-size must be a positive size such as 200MB, 1GB or 500000 (bytes); got '{value}'.");
        }

        var shift = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "K" or "KB" => 10,
            "M" or "MB" => 20,
            "G" or "GB" => 30,
            "T" or "TB" => 40,
            _ => 0,
        };
        return number <= LocalBatchServerOptions.MaxUploadSizeLimit >> shift
            ? number << shift
            : throw new CliUsageException($"--max-upload-size must be at most 1TB; got '{value}'.");
    }

    [GeneratedRegex("^(?<n>[0-9]{1,18}) ?(?<unit>B|K|KB|M|MB|G|GB|T|TB)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
