namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddLocalBatch</c>, to chain more LocalBatch configuration.</summary>
public interface ILocalBatchBuilder
{
    /// <summary>Gets the service collection LocalBatch was added to.</summary>
    IServiceCollection Services { get; }

    /// <summary>Gets the builder of the gateway's typed <see cref="HttpClient"/>, to add handlers or change its settings.</summary>
    IHttpClientBuilder HttpClient { get; }
}
