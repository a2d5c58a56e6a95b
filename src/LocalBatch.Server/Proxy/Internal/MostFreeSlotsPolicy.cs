using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// YARP's load-balancing policy for the gateways: the destination with the most free slots for its size, read from the
/// slot ledger (<see cref="LocalGatewayClient.GetServers"/>: each server's limit, the batch requests in flight on it and
/// the interactive ones, proxied requests included). A server the ledger has taken out of the rotation is skipped while
/// another is in it; ties go to the first in the options' order.
/// </summary>
internal sealed class MostFreeSlotsPolicy(LocalGatewayClient client, GatewayCluster cluster) : ILoadBalancingPolicy
{
    /// <summary>The policy's name in the cluster's configuration.</summary>
    public const string PolicyName = "LocalBatchMostFreeSlots";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState clusterState, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count <= 1)
        {
            return availableDestinations.Count == 0 ? null : availableDestinations[0];
        }

        var servers = client.GetServers();
        DestinationState? best = null;
        (bool InRotation, double Free, int Index) bestKey = default;
        foreach (var destination in availableDestinations)
        {
            var index = cluster.IndexOf(destination);
            var server = Find(servers, cluster.Displays[index]);
            var key = (server?.InRotation ?? true, server is null ? 1 : FreeShare(server), index);
            if (best is null || IsBetter(key, bestKey))
            {
                best = destination;
                bestKey = key;
            }
        }

        return best;
    }

    /// <summary>
    /// The share of the server's slots that nobody uses: its limit less the requests in flight and the interactive ones,
    /// over its limit. A server whose limit is not known yet (no batch has asked its <c>/props</c>) counts as one slot.
    /// </summary>
    public static double FreeShare(ServerProgress server)
    {
        var size = Math.Max(server.Limit, 1);
        return (double)(size - server.InFlight - server.Interactive) / size;
    }

    private static bool IsBetter((bool InRotation, double Free, int Index) key, (bool InRotation, double Free, int Index) best) =>
        key.InRotation != best.InRotation ? key.InRotation
        : key.Free != best.Free ? key.Free > best.Free
        : key.Index < best.Index;

    private static ServerProgress? Find(IReadOnlyList<ServerProgress> servers, string display)
    {
        foreach (var server in servers)
        {
            if (string.Equals(GatewayAddress.Display(server.Endpoint), display, StringComparison.OrdinalIgnoreCase))
            {
                return server;
            }
        }

        return null;
    }
}
