namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddLocalBatch</c>, to chain more LocalBatch configuration.</summary>
public interface ILocalBatchBuilder
{
    /// <summary>Gets the service collection LocalBatch was added to.</summary>
    IServiceCollection Services { get; }

    /// <summary>
    /// Gets the builder of the gateway client's named <see cref="HttpClient"/>, to add handlers or change its settings.
    /// The client is made once, for the singleton <c>LocalGatewayClient</c>: handlers added here live as long as it does.
    /// </summary>
    IHttpClientBuilder HttpClient { get; }
}
