namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>A page of the dashboard's list, newest first.</summary>
/// <param name="Data">The batches.</param>
/// <param name="LastId">The last one's id: <c>after</c> for the next page.</param>
/// <param name="HasMore">Whether older batches follow.</param>
internal sealed record DashboardBatchList(IReadOnlyList<DashboardBatch> Data, string? LastId, bool HasMore);
