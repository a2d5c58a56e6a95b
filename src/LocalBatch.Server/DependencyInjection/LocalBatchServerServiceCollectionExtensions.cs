using LocalBatch;
using LocalBatch.Batches;
using LocalBatch.Server;
using LocalBatch.Server.Batches.Internal;
using LocalBatch.Server.Dashboard.Internal;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.MessageBatches.Internal;
using LocalBatch.Server.Proxy.Internal;
using LocalBatch.Server.Routing.Internal;
using OpenTelemetry.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Batch and Files API server with a service collection.</summary>
public static class LocalBatchServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers what <c>MapLocalBatchApi</c> serves: validated <see cref="LocalBatchServerOptions"/>, LocalBatch itself
    /// (<c>AddLocalBatch</c>, pointed at <see cref="LocalBatchServerOptions.Gateway"/> with
    /// <see cref="LocalBatchServerOptions.GatewayApiKey"/>, retries logged at Debug), a <see cref="BatchJobManager"/> on
    /// <see cref="LocalBatchServerOptions.StateDirectory"/>, the uploaded files' store, YARP (the gateways as one cluster, spread by free slots), the OpenAPI document of the routes, OpenTelemetry's
    /// metrics of the <c>LocalBatch</c> meter for the Prometheus exporter, and the hosted
    /// services that resume unfinished batches at start-up (and after a gateway outage) and apply the retention.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The LocalBatch builder, to change the gateway client further (such as <c>LocalBatchOptions.MaxConcurrency</c> through <c>Services.Configure</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// The options are validated when the host starts (or when the API is mapped); every problem is reported at once.
    /// A <see cref="TimeProvider"/> registered in the container is the server's clock. The container must be disposed
    /// asynchronously (as the host does): disposing the <see cref="BatchJobManager"/> stops the running batches, which
    /// stay unfinished and resume at the next start.
    /// </remarks>
    public static ILocalBatchBuilder AddLocalBatchServer(this IServiceCollection services, Action<LocalBatchServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LocalBatchServerOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalBatchServerOptions>, LocalBatchServerOptionsValidator>());

        var builder = services.AddLocalBatch(static _ => { });
        services.AddOptions<LocalBatchOptions>().Configure<IOptions<LocalBatchServerOptions>>(static (gateway, server) =>
        {
            gateway.Endpoint = server.Value.Gateway;
            gateway.Endpoints = [.. server.Value.Gateways];
            gateway.ApiKey = server.Value.GatewayApiKey;
            gateway.BatchPriority = server.Value.BatchPriority;

            // Many requests are in flight at once: a gateway that goes down is logged once when it leaves the rotation
            // and once when it is back, not once a retry of each request.
            gateway.RetryLogLevel = LogLevel.Debug;
        });

        services.TryAddSingleton(TimeProvider.System);
        services.AddReverseProxy();
        services.TryAddSingleton<GatewayCluster>();
        services.TryAddSingleton<MostFreeSlotsPolicy>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoadBalancingPolicy, MostFreeSlotsPolicy>(static provider => provider.GetRequiredService<MostFreeSlotsPolicy>()));
        services.AddSingleton<IProxyConfigProvider>(static provider => new InMemoryConfigProvider([], [provider.GetRequiredService<GatewayCluster>().Config]));
        services.AddOpenApi(OperatorRoutes.DocumentName);
        services.AddOpenTelemetry().WithMetrics(static metrics => metrics.AddMeter(OperatorRoutes.MeterName).AddPrometheusExporter());
        services.TryAddSingleton(static provider => new BatchJobManager(
            provider.GetRequiredService<LocalBatchProcessor>(),
            new BatchJobManagerOptions
            {
                StoreDirectory = provider.GetRequiredService<IOptions<LocalBatchServerOptions>>().Value.StateDirectory,
                ResumeOnStart = false, // the supervisor resumes them at start-up, and watches them
            },
            provider.GetService<ILogger<BatchJobManager>>(),
            provider.GetService<TimeProvider>()));
        services.TryAddSingleton(static provider => new FileStore(
            provider.GetRequiredService<IOptions<LocalBatchServerOptions>>().Value.StateDirectory,
            provider.GetRequiredService<ILogger<FileStore>>()));
        services.TryAddSingleton<ApiKeyRing>();
        services.TryAddSingleton(static provider => new ServerMetrics(
            provider.GetRequiredService<BatchJobManager>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<FileCatalog>();
        services.TryAddSingleton<MessageBatchCatalog>();
        services.TryAddSingleton<GatewayProxy>();
        services.TryAddSingleton<BatchSupervisor>();
        services.TryAddSingleton<RetentionService>();
        services.TryAddSingleton<ApiKeyFilter>();
        services.TryAddSingleton<DashboardSessions>();
        services.AddHostedService(static provider => provider.GetRequiredService<BatchSupervisor>());
        services.AddHostedService(static provider => provider.GetRequiredService<RetentionService>());
        return builder;
    }
}
