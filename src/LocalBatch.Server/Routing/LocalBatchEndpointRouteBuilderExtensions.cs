using LocalBatch.Server;
using LocalBatch.Server.Batches.Internal;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Proxy.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts the Batch and Files API in an ASP.NET Core app.</summary>
public static class LocalBatchEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps OpenAI's Files API (<c>/v1/files</c>) and Batch API (<c>/v1/batches</c>, with <c>GET /v1/batches/{id}/results</c>)
    /// and, unless <see cref="LocalBatchServerOptions.ProxyOtherRoutes"/> is off, a catch-all route that forwards every
    /// other request to the gateway. Every route answers errors in OpenAI's shape and, when
    /// <see cref="LocalBatchServerOptions.ApiKey"/> is set, needs the key (all but <c>/health</c>).
    /// </summary>
    /// <param name="endpoints">The app or route group to map on.</param>
    /// <returns>The group of the mapped routes, to add conventions to.</returns>
    /// <exception cref="InvalidOperationException"><c>AddLocalBatchServer</c> was not called.</exception>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public static IEndpointConventionBuilder MapLocalBatchApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<IServiceProviderIsService>()?.IsService(typeof(FileCatalog)) != true)
        {
            throw new InvalidOperationException("Call services.AddLocalBatchServer(...) before app.MapLocalBatchApi().");
        }

        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<LocalBatchServerOptions>>().Value;

        var api = endpoints.MapGroup(string.Empty);
        api.AddEndpointFilter<ApiKeyFilter>().AddEndpointFilter<ApiErrorFilter>();
        FileEndpoints.Map(api);
        BatchEndpoints.Map(api);
        if (options.ProxyOtherRoutes)
        {
            GatewayProxy.Map(api);
        }

        return api;
    }
}
