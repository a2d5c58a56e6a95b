using LocalBatch;
using LocalBatch.Queue.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="RequestQueue"/> with LocalBatch.</summary>
public static class RequestQueueBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="RequestQueue"/> singleton on the registered <see cref="LocalGatewayClient"/>, with validated
    /// <see cref="RequestQueueOptions"/>. Its workers start when it is first resolved; the container disposes it with the
    /// host, which drains it as <see cref="RequestQueue.DisposeAsync"/> does (bounded by <see cref="RequestQueueOptions.DrainTimeout"/>).
    /// </summary>
    /// <param name="builder">The builder <c>AddLocalBatch</c> returned.</param>
    /// <param name="configure">Sets the queue's options; the defaults when <see langword="null"/>.</param>
    /// <returns>The same builder, to chain more configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// The options are validated when the host starts; every problem is reported at once. The queue sends on the same
    /// gateway client as the processor, so the two share the server's slots. A <see cref="TimeProvider"/> registered in
    /// the container is used as the queue's clock. The container must be disposed asynchronously (as the host does),
    /// because the queue is only <see cref="IAsyncDisposable"/>.
    /// </remarks>
    public static ILocalBatchBuilder AddRequestQueue(this ILocalBatchBuilder builder, Action<RequestQueueOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<RequestQueueOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(builder);
    }

    /// <summary>
    /// Registers a <see cref="RequestQueue"/> singleton as <see cref="AddRequestQueue(ILocalBatchBuilder, Action{RequestQueueOptions}?)"/>
    /// does, with its options bound from a configuration section (such as <c>Configuration.GetSection("LocalBatch:Queue")</c>).
    /// </summary>
    /// <param name="builder">The builder <c>AddLocalBatch</c> returned.</param>
    /// <param name="configuration">The section holding <c>MaxWorkers</c>, <c>Capacity</c>, <c>DrainTimeout</c>, ….</param>
    /// <returns>The same builder, to chain more configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    /// <remarks>The bound options are validated when the host starts, like the others; every problem is reported at once.</remarks>
    public static ILocalBatchBuilder AddRequestQueue(this ILocalBatchBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<RequestQueueOptions>().Bind(configuration);
        return AddCore(builder);
    }

    private static ILocalBatchBuilder AddCore(ILocalBatchBuilder builder)
    {
        builder.Services.AddOptions<RequestQueueOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RequestQueueOptions>, RequestQueueOptionsValidator>());
        builder.Services.TryAddSingleton(static provider => new RequestQueue(
            provider.GetRequiredService<LocalGatewayClient>(),
            provider.GetRequiredService<IOptions<RequestQueueOptions>>().Value,
            provider.GetService<ILogger<RequestQueue>>(),
            provider.GetService<TimeProvider>()));
        return builder;
    }
}
