using System.Diagnostics.Metrics;
using LocalBatch;
using LocalBatch.DependencyInjection.Internal;
using LocalBatch.Gateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers LocalBatch with a service collection.</summary>
public static class LocalBatchServiceCollectionExtensions
{
    private const string HttpClientName = "LocalBatch";

    /// <summary>
    /// Registers the <see cref="LocalGatewayClient"/> (with its resilience pipeline) on a named <see cref="HttpClient"/>
    /// from <c>IHttpClientFactory</c>, validated <see cref="LocalBatchOptions"/>, and the <see cref="LocalBatchProcessor"/>,
    /// all singletons.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to chain more configuration, such as <c>AddRequestQueue</c>.</returns>
    /// <remarks>
    /// <para>The options are validated when the host starts; every problem is reported at once.</para>
    /// <para>
    /// The gateway client is one singleton, so the processor, the <see cref="RequestQueue"/> and the batch jobs resolved
    /// from one container share its concurrency and the server's slots. Its <see cref="HttpClient"/> is made once by
    /// <c>IHttpClientFactory</c> (named <c>LocalBatch</c>, handler rotation off) over a
    /// <see cref="System.Net.Http.SocketsHttpHandler"/> that renews its connections every 5 minutes, so DNS changes are
    /// seen although the client lives as long as the container.
    /// </para>
    /// </remarks>
    public static ILocalBatchBuilder AddLocalBatch(this IServiceCollection services, Action<LocalBatchOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LocalBatchOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>Registers LocalBatch with options bound from a configuration section (such as <c>Configuration.GetSection("LocalBatch")</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding <c>Endpoint</c>, <c>ApiKey</c>, <c>MaxConcurrency</c>, ….</param>
    /// <returns>A builder to chain more configuration.</returns>
    public static ILocalBatchBuilder AddLocalBatch(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LocalBatchOptions>().Bind(configuration);
        return AddCore(services);
    }

    private static LocalBatchBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<LocalBatchOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalBatchOptions>, LocalBatchOptionsValidator>());

        // A named client, not a typed one: the gateway client is a singleton (its concurrency and shared slots are
        // per instance), and a typed client resolved into a singleton would keep a factory-made handler past its
        // rotation. So, as the guidance for HttpClient in long-lived services says, the primary handler is a
        // SocketsHttpHandler whose PooledConnectionLifetime renews connections (DNS changes are seen), and the
        // factory's handler rotation is off: the one handler chain lives as long as the client.
        var httpClient = services
            .AddHttpClient(HttpClientName, static (provider, http) =>
            {
                var options = provider.GetRequiredService<IOptions<LocalBatchOptions>>().Value;
                http.BaseAddress = GatewayHttpClientFactory.NormalizeBaseAddress(options.Endpoint);

                // Long generations are normal: the per-attempt timeout of the pipeline is the only limit.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(GatewayHttpClientFactory.CreateHandler)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);

        // One client for the processor, the queue and the batch jobs, so that together they share the server's slots.
        services.TryAddSingleton(static provider => new LocalGatewayClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            provider.GetRequiredService<IOptions<LocalBatchOptions>>(),
            provider.GetService<ILogger<LocalGatewayClient>>(),
            provider.GetService<IMeterFactory>(),
            provider.GetService<TimeProvider>()));
        services.TryAddSingleton(static provider => new LocalBatchProcessor(
            provider.GetRequiredService<LocalGatewayClient>(),
            provider.GetService<ILogger<LocalBatchProcessor>>()));
        return new LocalBatchBuilder(services, httpClient);
    }
}
