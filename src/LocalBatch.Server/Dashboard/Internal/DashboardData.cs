using LocalBatch.Server.Keys.Internal;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Server.Batches.Internal;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>
/// What the dashboard's scripts read: the batches of the API's own list and retrieve (<see cref="BatchEndpoints"/>, so
/// whatever decides there what a caller may see decides here too), with the live progress the manager has of those
/// running here, their input file's name and their first errors.
/// </summary>
internal static class DashboardData
{
    private const int ErrorsShown = 10;

    public static async Task<IResult> ListAsync(HttpContext context, BatchJobManager batches, FileCatalog files)
    {
        var page = await BatchEndpoints.ListPageAsync(context, batches).ConfigureAwait(false);
        var rows = new List<DashboardBatch>(page.Data.Count);
        foreach (var job in page.Data)
        {
            rows.Add(await RowAsync(job, batches.GetProgress(job.Id), files, Caller.Of(context), context.RequestAborted).ConfigureAwait(false));
        }

        return Results.Json(new DashboardBatchList(rows, page.LastId, page.HasMore), DashboardJsonContext.Default.DashboardBatchList);
    }

    public static async Task<IResult> GetAsync(string batchId, HttpContext context, BatchJobManager batches, FileCatalog files)
    {
        var caller = Caller.Of(context);
        var job = caller.Show(await BatchEndpoints.RetrieveAsync(batches, batchId, caller, context.RequestAborted).ConfigureAwait(false));
        var progress = batches.GetProgress(job.Id);
        var servers = progress?.Servers ?? [];
        var attempts = Math.Max(1, servers.Sum(static server => server.Requests));
        var detail = new DashboardBatchDetail(
            await RowAsync(job, progress, files, caller, context.RequestAborted).ConfigureAwait(false),
            progress?.InFlight ?? 0,
            Math.Max(progress?.PromptTokens ?? 0, job.Usage?.InputTokens ?? 0),
            Math.Max(progress?.CompletionTokens ?? 0, job.Usage?.OutputTokens ?? 0),
            progress?.IsYielding,
            [.. servers.Select(server => new DashboardServer(
                GatewayAddress.Display(server.Endpoint), server.InRotation, server.InFlight, server.Limit, server.Requests, server.Failures, (double)server.Requests / attempts, server.Reserved))],
            await FirstErrorsAsync(batches, job.Id, context.RequestAborted).ConfigureAwait(false),
            job.OutputFileId,
            job.ErrorFileId,
            CanCancel: job.Status is BatchStatus.Validating or BatchStatus.InProgress or BatchStatus.Finalizing);
        return Results.Json(detail, DashboardJsonContext.Default.DashboardBatchDetail);
    }

    private static async Task<DashboardBatch> RowAsync(BatchJob job, BatchProgress? progress, FileCatalog files, Caller caller, CancellationToken cancellationToken)
    {
        var input = FileIds.IsUpload(job.InputFileId) ? await files.FindAsync(job.InputFileId, caller, cancellationToken).ConfigureAwait(false) : null;
        var counts = job.RequestCounts;
        var (completed, failed) = progress is { } live && live.Completed >= counts.Completed + counts.Failed
            ? (live.Completed - live.Failed, live.Failed)
            : (counts.Completed, counts.Failed);
        var endedAt = job.CompletedAt ?? job.FailedAt ?? job.CancelledAt ?? job.ExpiredAt;
        var rate = progress is not null ? progress.RequestsPerSecond
            : endedAt is { } end && job.InProgressAt is { } start && end > start ? (double)(completed + failed) / (end - start)
            : (double?)null;
        var tokens = Math.Max((progress?.PromptTokens ?? 0) + (progress?.CompletionTokens ?? 0), job.Usage?.TotalTokens ?? 0);
        return new DashboardBatch(
            job.Id,
            input?.Object.Filename ?? job.InputFileId,
            job.Endpoint,
            job.Status.ToWireName(),
            counts.Total,
            completed,
            failed,
            rate,
            progress?.EstimatedRemaining?.TotalSeconds,
            tokens,
            job.CreatedAt,
            endedAt,
            job.Waiting?.Message);
    }

    /// <summary>The first lines of the batch's error file, as written so far.</summary>
    private static async Task<IReadOnlyList<DashboardLineError>> FirstErrorsAsync(BatchJobManager batches, string batchId, CancellationToken cancellationToken)
    {
        var errors = new List<DashboardLineError>();
        try
        {
            await foreach (var line in batches.GetErrorsAsync(batchId, cancellationToken).ConfigureAwait(false))
            {
                errors.Add(new DashboardLineError(line.CustomId, line.FailureCause, line.FailureMessage));
                if (errors.Count == ErrorsShown)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            // A file being written or damaged: what was read is shown.
        }

        return errors;
    }
}
