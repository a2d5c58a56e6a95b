using LocalBatch;
using LocalBatch.DependencyInjection.Internal;
using LocalBatch.Gateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers LocalBatch with a service collection.</summary>
public static class LocalBatchServiceCollectionExtensions
{
    /// <summary>
    /// Registers the typed <see cref="LocalGatewayClient"/> (with its resilience pipeline), validated
    /// <see cref="LocalBatchOptions"/>, and the <see cref="LocalBatchProcessor"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to chain more configuration, such as <c>AddRequestQueue</c>.</returns>
    /// <remarks>The options are validated when the host starts; every problem is reported at once.</remarks>
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

        var httpClient = services
            .AddHttpClient<LocalGatewayClient>((provider, http) =>
            {
                var options = provider.GetRequiredService<IOptions<LocalBatchOptions>>().Value;
                http.BaseAddress = GatewayHttpClientFactory.NormalizeBaseAddress(options.Endpoint);

                // Long generations are normal: the per-attempt timeout of the pipeline is the only limit.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(GatewayHttpClientFactory.CreateHandler);

        services.TryAddSingleton<LocalBatchProcessor>();
        return new LocalBatchBuilder(services, httpClient);
    }
}
