namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>One llama.cpp server's figures on a batch's page (every batch on this server together).</summary>
/// <param name="Endpoint">Its address, without user info.</param>
/// <param name="InRotation">Whether requests go to it.</param>
/// <param name="InFlight">The requests sent to it and not yet answered.</param>
/// <param name="Limit">The most it is sent at once.</param>
/// <param name="Requests">The attempts sent to it so far.</param>
/// <param name="Failures">The attempts that got no usable answer from it.</param>
/// <param name="Share">Its share of all the attempts, from 0 to 1.</param>
/// <param name="Reserved">The slots batch work leaves free on it now for interactive requests.</param>
internal sealed record DashboardServer(string Endpoint, bool InRotation, int InFlight, int Limit, long Requests, long Failures, double Share, int Reserved);
