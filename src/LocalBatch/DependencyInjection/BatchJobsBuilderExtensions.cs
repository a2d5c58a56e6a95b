using LocalBatch;
using LocalBatch.Batches;
using LocalBatch.Batches.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="BatchJobManager"/> (the OpenAI Batch API run locally) with LocalBatch.</summary>
public static class BatchJobsBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="BatchJobManager"/> singleton on the registered <see cref="LocalBatchProcessor"/>, with validated
    /// <see cref="BatchJobManagerOptions"/>. The container disposes it with the host, which stops its running batches
    /// without cancelling them (they resume next time).
    /// </summary>
    /// <param name="builder">The builder <c>AddLocalBatch</c> returned.</param>
    /// <param name="configure">Sets the manager's options; the defaults when <see langword="null"/>.</param>
    /// <returns>The same builder, to chain more configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// The options are validated when the host starts; every problem is reported at once. Unfinished batches in the store
    /// resume when the manager is first used (see <see cref="BatchJobManagerOptions.ResumeOnStart"/>). Its batches send
    /// through the processor's gateway client, the one the processor and the <see cref="RequestQueue"/> use, so they
    /// all share the server's slots. A <see cref="TimeProvider"/> registered in the container is used as the manager's
    /// clock. The container must be disposed asynchronously (as the host does), because the manager is only
    /// <see cref="IAsyncDisposable"/>.
    /// </remarks>
    public static ILocalBatchBuilder AddBatchJobs(this ILocalBatchBuilder builder, Action<BatchJobManagerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<BatchJobManagerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(builder);
    }

    /// <summary>
    /// Registers a <see cref="BatchJobManager"/> singleton as <see cref="AddBatchJobs(ILocalBatchBuilder, Action{BatchJobManagerOptions}?)"/>
    /// does, with its options bound from a configuration section (such as <c>Configuration.GetSection("LocalBatch:Batches")</c>).
    /// </summary>
    /// <param name="builder">The builder <c>AddLocalBatch</c> returned.</param>
    /// <param name="configuration">The section holding <c>StoreDirectory</c>, <c>MaxLinesPerBatch</c>, <c>CompletionWindowDuration</c>, ….</param>
    /// <returns>The same builder, to chain more configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    /// <remarks>The bound options are validated when the host starts, like the others; every problem is reported at once.</remarks>
    public static ILocalBatchBuilder AddBatchJobs(this ILocalBatchBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<BatchJobManagerOptions>().Bind(configuration);
        return AddCore(builder);
    }

    private static ILocalBatchBuilder AddCore(ILocalBatchBuilder builder)
    {
        builder.Services.AddOptions<BatchJobManagerOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchJobManagerOptions>, BatchJobManagerOptionsValidator>());
        builder.Services.TryAddSingleton(static provider => new BatchJobManager(
            provider.GetRequiredService<LocalBatchProcessor>(),
            provider.GetRequiredService<IOptions<BatchJobManagerOptions>>().Value,
            provider.GetService<ILogger<BatchJobManager>>(),
            provider.GetService<TimeProvider>()));
        return builder;
    }
}
