using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Server;

/// <summary>
/// The Batch and Files API server on its own Kestrel, as <c>localbatch serve</c> runs it: OpenAI's <c>/v1/files</c> and
/// <c>/v1/batches</c> and Anthropic's <c>/v1/messages/batches</c> served from the store, every other route proxied to
/// the gateway. It lives inside the caller's
/// process and stops when disposed (it does not hook Ctrl+C itself).
/// </summary>
/// <example>
/// <code>
/// await using var server = await LocalBatchServer.StartAsync(o => o.Gateway = new Uri("http://127.0.0.1:8080"));
/// var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
/// var anthropic = new AnthropicClient { ApiKey = "unused", BaseUrl = server.BaseAddress.AbsoluteUri.TrimEnd('/') };
/// </code>
/// </example>
public sealed class LocalBatchServer : IAsyncDisposable
{
    /// <summary>The default address: loopback only, port 8081.</summary>
    public const string DefaultUrls = "http://127.0.0.1:8081";

    private static readonly TimeSpan s_shutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private int _disposed;

    private LocalBatchServer(WebApplication app, IReadOnlyList<Uri> addresses)
    {
        _app = app;
        Addresses = addresses;
    }

    /// <summary>Gets the addresses the server listens on, with the port Kestrel chose for a <c>:0</c> one, such as <c>http://127.0.0.1:8081/</c>.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    /// <summary>Gets the first of <see cref="Addresses"/>; OpenAI clients take <c>new Uri(BaseAddress, "v1")</c> as their endpoint.</summary>
    public Uri BaseAddress => Addresses[0];

    /// <summary>Gets the server's services, such as its <see cref="LocalBatch.Batches.BatchJobManager"/>.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the server: validates the options, resumes the unfinished batches of the store, and listens.
    /// </summary>
    /// <param name="configure">Sets the options (gateway, keys, store, limits, retention).</param>
    /// <param name="urls">Where to listen, separated by <c>;</c>; port 0 takes a free port.</param>
    /// <param name="configureHost">Changes the host before it is built, such as its logging or extra services.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The server, listening.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    /// <exception cref="IOException">An address could not be bound (such as a port in use).</exception>
    public static async Task<LocalBatchServer> StartAsync(
        Action<LocalBatchServerOptions> configure,
        string urls = DefaultUrls,
        Action<WebApplicationBuilder>? configureHost = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LocalBatchServer).Assembly.GetName().Name,
            EnvironmentName = Environments.Production,
        });
        builder.Services.AddSingleton<IHostLifetime, NoOpHostLifetime>();
        builder.Services.Configure<HostOptions>(static o => o.ShutdownTimeout = s_shutdownTimeout);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(static kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(static listen => listen.UseKestrelErrorBodies()); // its own 400s, 414s, 431s in OpenAI's shape
        }).UseUrls(urls);
        builder.Services.AddLocalBatchServer(configure);
        configureHost?.Invoke(builder);

        var app = builder.Build();
        app.Use(HandleUnexpectedAsync);
        app.MapLocalBatchApi();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(static address => new Uri(address.EndsWith('/') ? address : address + "/"))
            .ToList();
        return new LocalBatchServer(app, addresses is { Count: > 0 } ? addresses : [new Uri(urls.Split(';')[0])]);
    }

    /// <summary>
    /// Stops listening (requests in flight get a few seconds to finish) and stops the running batches without
    /// cancelling them: they stay unfinished and resume at the next start on the same store.
    /// </summary>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The last guard: whatever escapes the endpoints' own handling is a 500 in OpenAI's shape, never a stack trace.</summary>
    private static async Task HandleUnexpectedAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            Log.UnexpectedError(context.RequestServices.GetRequiredService<ILogger<LocalBatchServer>>(), context.Request.Method, context.Request.Path, ex);
            await ApiError.Unexpected().WriteAsync(context).ConfigureAwait(false);
        }
    }
}
