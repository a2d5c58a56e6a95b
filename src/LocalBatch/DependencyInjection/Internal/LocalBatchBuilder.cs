using Microsoft.Extensions.DependencyInjection;

namespace LocalBatch.DependencyInjection.Internal;

/// <summary>The <see cref="ILocalBatchBuilder"/> that <c>AddLocalBatch</c> returns.</summary>
internal sealed class LocalBatchBuilder(IServiceCollection services, IHttpClientBuilder httpClient) : ILocalBatchBuilder
{
    public IServiceCollection Services { get; } = services;

    public IHttpClientBuilder HttpClient { get; } = httpClient;
}
