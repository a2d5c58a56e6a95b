using System.Diagnostics;
using System.Net;
using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// Every route this server does not serve itself (the rest of <c>/v1/</c>, <c>/health</c>, <c>/props</c>,
/// <c>/tokenize</c>, …) forwarded to the gateway unchanged with YARP, server-sent events streamed as they come. A
/// gateway that cannot be reached is answered with a 502 in OpenAI's error shape.
/// </summary>
internal sealed class GatewayProxy : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly HttpMessageInvoker _invoker;
    private readonly GatewayRequestTransformer _transformer;
    private readonly ForwarderRequestConfig _config;
    private readonly string _destination;
    private readonly string _display;
    private readonly bool _keyed;

    public GatewayProxy(IHttpForwarder forwarder, IOptions<LocalBatchServerOptions> options, IOptions<LocalBatchOptions> gateway, ILogger<GatewayProxy> logger)
    {
        _forwarder = forwarder;
        _logger = logger;
        _destination = options.Value.Gateway.AbsoluteUri.TrimEnd('/');
        _display = GatewayAddress.Display(options.Value.Gateway);
        _keyed = options.Value.ApiKey is not null;
        _transformer = new GatewayRequestTransformer(options.Value.GatewayApiKey);

        // A non-streamed generation on a CPU sends nothing for minutes: the proxy waits as long as one attempt of the
        // library's own client may last.
        var attemptTimeout = gateway.Value.AttemptTimeout;
        _config = new ForwarderRequestConfig { ActivityTimeout = attemptTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromDays(1) : attemptTimeout };
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
    }

    /// <summary>Maps the catch-all route that forwards to the gateway (every more specific route wins over it).</summary>
    public static void Map(IEndpointRouteBuilder api) =>
        api.Map("/{**path}", static (HttpContext context, GatewayProxy proxy) => proxy.ForwardAsync(context));

    public async Task ForwardAsync(HttpContext context)
    {
        var error = await _forwarder.SendAsync(context, _destination, _invoker, _config, _transformer).ConfigureAwait(false);
        if (error is ForwarderError.None or ForwarderError.RequestCanceled or ForwarderError.ResponseBodyCanceled)
        {
            return;
        }

        var cause = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        Log.ProxyFailed(_logger, context.Request.Method, context.Request.Path, error.ToString(), cause?.Message);
        var status = context.Response.StatusCode >= 500 ? context.Response.StatusCode : StatusCodes.Status502BadGateway;
        // The gateway's address (never its user info) only to a caller who gave the key: the open /health check tells nothing of it.
        var gateway = _keyed && ApiKeyFilter.IsOpenHealthCheck(context.Request) ? "The gateway" : $"The gateway at {_display}";
        await new ApiError(status, $"{gateway} could not be reached or did not answer ({error}).", ApiError.Server, Code: "gateway_error")
            .WriteAsync(context).ConfigureAwait(false);
    }

    public void Dispose() => _invoker.Dispose();
}
