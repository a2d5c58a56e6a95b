using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Who a request comes from, as <see cref="ApiKeyFilter.Identify"/> decides it from a key: the API's routes and the
/// dashboard's (through its session) record it on the request alike, so that whatever a caller may see is decided for
/// both in one place.
/// </summary>
/// <param name="Name">The caller's name, for logs and the dashboard; never the key.</param>
internal sealed record ApiCaller(string Name)
{
    /// <summary>Whoever holds <see cref="LocalBatchServerOptions.ApiKey"/>.</summary>
    public static readonly ApiCaller KeyHolder = new("key");

    /// <summary>Anyone, on a server that needs no key.</summary>
    public static readonly ApiCaller Anyone = new("anyone");

    /// <summary>Records the caller of a request.</summary>
    public static void Set(HttpContext context, ApiCaller caller) => context.Features.Set(caller);

    /// <summary>The caller recorded for a request, or <see langword="null"/> when none was.</summary>
    public static ApiCaller? Of(HttpContext context) => context.Features.Get<ApiCaller>();
}
