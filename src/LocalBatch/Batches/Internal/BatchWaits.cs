using LocalBatch.Gateway.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>What a batch's <see cref="BatchJob.Waiting"/> says: while every server is out of the rotation, or once its run stopped for its server.</summary>
internal static class BatchWaits
{
    /// <summary>Why a running batch waits while no server takes requests (see <see cref="EndpointPool.Outage"/>); <see langword="null"/> when one does.</summary>
    public static BatchWaiting? During(IReadOnlyList<(ServerEndpoint Server, AttemptOutcome Reason, DateTimeOffset Since)>? outage)
    {
        if (outage is not { Count: > 0 })
        {
            return null;
        }

        var first = outage.MinBy(static server => server.Since);
        var servers = outage.Count == 1
            ? $"The gateway at {first.Server.Display} {What(first.Reason)}"
            : "No gateway takes requests (" + string.Join("; ", outage.Select(static server => $"{server.Server.Display} {What(server.Reason)}")) + ")";
        return new BatchWaiting(
            CodeOf(first.Reason),
            $"{servers}; requests are retried with back-off, and the batch goes on as soon as it answers again.",
            first.Since.ToUnixTimeSeconds());
    }

    /// <summary>Why a batch whose run stopped for its server (<paramref name="message"/> says so) waits to be resumed.</summary>
    public static BatchWaiting After(BatchStopReason reason, string message, DateTimeOffset now) =>
        new(reason is BatchStopReason.KeyRefused ? "gateway_key_refused" : "gateway_unreachable", message, now.ToUnixTimeSeconds());

    private static string CodeOf(AttemptOutcome reason) => reason switch
    {
        AttemptOutcome.Loading => "gateway_loading",
        AttemptOutcome.ServerError => "gateway_failing",
        _ => "gateway_unreachable",
    };

    private static string What(AttemptOutcome reason) => reason switch
    {
        AttemptOutcome.Loading => "is loading its model (503)",
        AttemptOutcome.ServerError => "fails every request (5xx)",
        _ => "does not answer",
    };
}
