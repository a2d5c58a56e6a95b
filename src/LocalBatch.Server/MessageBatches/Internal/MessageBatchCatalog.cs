using System.Collections.Concurrent;
using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>
/// The store's batches to <c>/v1/messages</c>, seen as Anthropic's Message Batch objects: found by their
/// <c>msgbatch_</c> id, listed a page at a time, each shown with its counts. The counts of a batch that has ended apart
/// (cancelled or expired: how many of its failures never ran) are read once from its error file, then kept: an ended
/// batch no longer changes.
/// </summary>
internal sealed class MessageBatchCatalog(BatchJobManager batches)
{
    private readonly ConcurrentDictionary<string, MessageBatchRequestCounts> _endedCounts = new(StringComparer.Ordinal);

    /// <summary>The message batch with this id.</summary>
    /// <exception cref="ApiErrorException">404: no such message batch that <paramref name="caller"/> may see (or an id that is not one).</exception>
    public async Task<BatchJob> FindAsync(string messageBatchId, Caller caller, CancellationToken cancellationToken)
    {
        if (MessageBatchIds.ToBatchId(messageBatchId) is { } batchId)
        {
            try
            {
                var job = await batches.RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
                if (job.Endpoint == MessageBatchEndpoints.GatewayPath && caller.Sees(job.Owner))
                {
                    return job;
                }
            }
            catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException)
            {
                // Not a batch id, or no such batch: the same 404 below.
            }
        }

        throw ApiError.NotFound($"No message batch found with id '{messageBatchId}'.").ToException();
    }

    /// <summary>A page of the message batches <paramref name="caller"/> may see, newest first, before or after a batch (or from the newest).</summary>
    public async Task<MessageBatchList> ListAsync(string? beforeId, string? afterId, int limit, Caller caller, HttpRequest request, CancellationToken cancellationToken)
    {
        var all = new List<BatchJob>();
        await foreach (var job in batches.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (job.Endpoint == MessageBatchEndpoints.GatewayPath && caller.Sees(job.Owner))
            {
                all.Add(job);
            }
        }

        int start, end;
        bool hasMore;
        if (afterId is not null)
        {
            var cursor = IndexOf(all, afterId);
            start = cursor < 0 ? all.Count : cursor + 1;
            end = Math.Min(all.Count, start + limit);
            hasMore = end < all.Count;
        }
        else if (beforeId is not null)
        {
            end = Math.Max(0, IndexOf(all, beforeId));
            start = Math.Max(0, end - limit);
            hasMore = start > 0;
        }
        else
        {
            start = 0;
            end = Math.Min(all.Count, limit);
            hasMore = end < all.Count;
        }

        var page = new List<MessageBatch>(end - start);
        for (var i = start; i < end; i++)
        {
            page.Add(await ToObjectAsync(all[i], caller, request, cancellationToken).ConfigureAwait(false));
        }

        return new MessageBatchList(page, hasMore, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id);
    }

    /// <summary>
    /// The batch as Anthropic's object, as <paramref name="caller"/> may see it (its owner only to an admin); its
    /// <c>results_url</c> on this server, as the request reached it.
    /// </summary>
    public async Task<MessageBatch> ToObjectAsync(BatchJob job, Caller caller, HttpRequest request, CancellationToken cancellationToken)
    {
        var id = MessageBatchIds.FromBatchId(job.Id);
        var ended = job.IsTerminal;
        return new MessageBatch(
            id,
            job.Status switch
            {
                BatchStatus.Cancelling => "canceling",
                _ when ended => "ended",
                _ => "in_progress",
            },
            ended ? await EndedCountsAsync(job, cancellationToken).ConfigureAwait(false) : RunningCounts(job),
            ended ? Rfc3339(FileCatalog.EndedAt(job)) : null,
            Rfc3339(job.CreatedAt),
            job.ExpiresAt is { } expires ? Rfc3339(expires) : null,
            job.CancellingAt is { } cancelling ? Rfc3339(cancelling) : null,
            ended ? $"{request.Scheme}://{request.Host}{request.PathBase}{MessageBatchEndpoints.Path}/{id}/results" : null)
        {
            Owner = caller.Show(job).Owner,
        };
    }

    /// <summary>Forgets what was kept of a deleted batch.</summary>
    public void Forget(string batchId) => _endedCounts.TryRemove(batchId, out _);

    private static MessageBatchRequestCounts RunningCounts(BatchJob job)
    {
        var counts = job.RequestCounts;
        return new MessageBatchRequestCounts(Math.Max(0, counts.Total - counts.Completed - counts.Failed), counts.Completed, counts.Failed, 0, 0);
    }

    /// <summary>
    /// An ended batch's counts: a completed one's failures all errored; a cancelled or expired one's split by its error
    /// lines, the requests that never ran (<c>batch_cancelled</c>, <c>batch_expired</c>) apart from those that failed.
    /// </summary>
    private async ValueTask<MessageBatchRequestCounts> EndedCountsAsync(BatchJob job, CancellationToken cancellationToken)
    {
        if (job.Status is not (BatchStatus.Cancelled or BatchStatus.Expired))
        {
            return new MessageBatchRequestCounts(0, job.RequestCounts.Completed, job.RequestCounts.Failed, 0, 0);
        }

        if (_endedCounts.TryGetValue(job.Id, out var known))
        {
            return known;
        }

        int canceled = 0, expired = 0;
        await foreach (var line in batches.GetErrorsAsync(job.Id, cancellationToken).ConfigureAwait(false))
        {
            switch (line.Error?.Code)
            {
                case MessageBatchResults.CancelledCode:
                    canceled++;
                    break;
                case MessageBatchResults.ExpiredCode:
                    expired++;
                    break;
            }
        }

        var counts = new MessageBatchRequestCounts(0, job.RequestCounts.Completed, Math.Max(0, job.RequestCounts.Failed - canceled - expired), canceled, expired);
        return _endedCounts.GetOrAdd(job.Id, counts);
    }

    private static int IndexOf(List<BatchJob> jobs, string messageBatchId) =>
        MessageBatchIds.ToBatchId(messageBatchId) is { } batchId ? jobs.FindIndex(job => job.Id == batchId) : -1;

    /// <summary>A Unix time as RFC 3339, as Anthropic writes its times: <c>2024-08-20T18:37:24Z</c>.</summary>
    private static string Rfc3339(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
