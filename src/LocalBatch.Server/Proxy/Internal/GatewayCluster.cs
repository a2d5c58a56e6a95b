using System.Globalization;
using LocalBatch.Server.Internal;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// The gateways as one YARP cluster: a destination for each (<see cref="LocalBatchServerOptions.Gateways"/>, else
/// <see cref="LocalBatchServerOptions.Gateway"/>), in their order; with several, YARP's active health checks ask each one's
/// <c>/health</c> every <see cref="HealthCheckInterval"/> (two failures in a row take it out, one answer brings it back), and
/// when none is healthy every one is tried rather than none (<c>HealthyOrPanic</c>). Generation requests are spread by
/// <see cref="MostFreeSlotsPolicy"/>; one gateway needs no health check (its requests have nowhere else to go).
/// </summary>
internal sealed class GatewayCluster
{
    /// <summary>The cluster's id in YARP's configuration.</summary>
    public const string ClusterId = "localbatch-gateways";

    /// <summary>How often each gateway's <c>/health</c> is asked, when there are several.</summary>
    public static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long a gateway's <c>/health</c> may take to answer before the check counts as failed.</summary>
    public static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, int> _indexes = new(StringComparer.Ordinal);

    public GatewayCluster(IOptions<LocalBatchServerOptions> options, IOptions<LocalBatchOptions> gateway)
    {
        var servers = options.Value.Gateways is { Count: > 0 } many ? [.. many] : new[] { options.Value.Gateway };
        Displays = [.. servers.Select(GatewayAddress.Display)];
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
        for (var index = 0; index < servers.Length; index++)
        {
            var id = "gateway-" + index.ToString(CultureInfo.InvariantCulture);
            _indexes[id] = index;
            destinations[id] = new DestinationConfig { Address = servers[index].AbsoluteUri.TrimEnd('/') };
        }

        // A non-streamed generation on a CPU sends nothing for minutes: the proxy waits as long as one attempt of the
        // library's own client may last.
        var attemptTimeout = gateway.Value.AttemptTimeout;
        Config = new ClusterConfig
        {
            ClusterId = ClusterId,
            Destinations = destinations,
            LoadBalancingPolicy = MostFreeSlotsPolicy.PolicyName,
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = attemptTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromDays(1) : attemptTimeout },
            HealthCheck = servers.Length == 1 ? null : new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = HealthCheckInterval,
                    Timeout = HealthCheckTimeout,
                    Policy = "ConsecutiveFailures",
                    Path = "/health",
                },
                AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
            },
        };
    }

    /// <summary>Gets the cluster's configuration, for YARP.</summary>
    public ClusterConfig Config { get; }

    /// <summary>Gets each gateway's address as shown (never its user info), in the order of the options.</summary>
    public IReadOnlyList<string> Displays { get; }

    /// <summary>The gateway's place in the options' order (so "the first" means the same everywhere).</summary>
    public int IndexOf(DestinationState destination) => _indexes[destination.DestinationId];

    /// <summary>The gateway among <paramref name="available"/> that comes first in the options' order.</summary>
    public DestinationState? First(IReadOnlyList<DestinationState> available) => available.MinBy(IndexOf);
}
