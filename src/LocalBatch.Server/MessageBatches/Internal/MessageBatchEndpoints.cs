using LocalBatch.Batches;
using LocalBatch.Server.Batches.Internal;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.Routing.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>
/// Anthropic's Message Batches API on <see cref="BatchJobManager"/>: each message batch is a store batch to
/// <c>/v1/messages</c>, run by the same engine as OpenAI's batches (retries, resume after a crash, cancel, expiry),
/// shown as Anthropic's objects, with Anthropic's errors (see <see cref="ApiErrorResult"/>).
/// </summary>
internal static class MessageBatchEndpoints
{
    /// <summary>The API's root path; everything under it is this API's.</summary>
    public const string Path = "/v1/messages/batches";

    /// <summary>Where each request of a message batch goes on the gateway.</summary>
    public const string GatewayPath = "/v1/messages";

    private static readonly PathString s_path = new(Path);

    /// <summary>Whether a request's path is one of this API's (and so answers in Anthropic's shape).</summary>
    public static bool Serves(PathString path) => path.StartsWithSegments(s_path, StringComparison.OrdinalIgnoreCase);

    public static void Map(OwnedRoutes api)
    {
        api.MapPost(Path, CreateAsync);
        api.MapGet(Path, ListAsync);
        api.MapGet(Path + "/{messageBatchId}", GetAsync);
        api.MapPost(Path + "/{messageBatchId}/cancel", CancelAsync);
        api.MapDelete(Path + "/{messageBatchId}", DeleteAsync);
        api.MapGet(Path + "/{messageBatchId}/results", GetResultsAsync);
    }

    /// <summary>
    /// Reads the requests into a batch input (checking each as Anthropic does: the first problem is a 400) and starts the
    /// batch: 200 with the batch, <c>in_progress</c>.
    /// </summary>
    private static async Task<IResult> CreateAsync(
        HttpContext context, BatchJobManager batches, FileStore files, MessageBatchCatalog catalog, BatchSupervisor supervisor, IHostApplicationLifetime lifetime)
    {
        var request = context.Request;
        var caller = Caller.Of(context);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = MessageBatchRequestReader.MaxBodyBytes + OversizedBody.DrainAllowance;
        }

        if (request.ContentLength > MessageBatchRequestReader.MaxBodyBytes)
        {
            throw MessageBatchRequestReader.TooLarge().ToException();
        }

        var upload = files.CreateUpload(out var inputPath);
        try
        {
            await using (upload.ConfigureAwait(false))
            {
                try
                {
                    await MessageBatchRequestReader.ConvertAsync(request.Body, upload, context.RequestAborted).ConfigureAwait(false);
                }
                catch (ApiErrorException ex) when (ex.Error.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    await OversizedBody.DrainAsync(request.Body, context.RequestAborted).ConfigureAwait(false);
                    throw;
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw MessageBatchRequestReader.TooLarge().ToException();
                }
            }

            await KeyLimits.EnsureMayStartBatchAsync(caller, batches, context.RequestAborted).ConfigureAwait(false);
            BatchJob job;
            try
            {
                // Not the request's token: a client that gives up waiting must not leave a batch interrupted halfway.
                job = await batches.CreateFromFileAsync(
                    inputPath,
                    GatewayPath,
                    new BatchCreateOptions { MaxRequests = MessageBatchRequestReader.MaxRequests, Owner = caller.Owner },
                    lifetime.ApplicationStopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                throw new ApiError(StatusCodes.Status503ServiceUnavailable, "The server stopped while the batch was created; it was not started. Create it again.", ApiError.Server).ToException();
            }

            if (job.Status == BatchStatus.Failed)
            {
                // What the manager found that the reader did not (a request larger than its line limit): no batch is made.
                await batches.DeleteAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
                var first = job.Errors?.Data.FirstOrDefault();
                throw ApiError.BadRequest(first is { Line: { } line } ? $"requests.{line - 1}: {first.Message}" : first?.Message ?? "The batch could not be created.").ToException();
            }

            supervisor.Watch(job.Id);
            return Json(await catalog.ToObjectAsync(job, caller, request, context.RequestAborted).ConfigureAwait(false));
        }
        finally
        {
            File.Delete(inputPath);
        }
    }

    private static async Task<IResult> ListAsync(HttpContext context, MessageBatchCatalog catalog)
    {
        var query = context.Request.Query;
        var limit = QueryValues.Int(query, "limit", 20, 1, 1000);
        var beforeId = QueryValues.String(query, "before_id");
        var afterId = QueryValues.String(query, "after_id");
        if (beforeId is not null && afterId is not null)
        {
            throw ApiError.BadRequest("Give before_id or after_id, not both.").ToException();
        }

        var page = await catalog.ListAsync(beforeId, afterId, limit, Caller.Of(context), context.Request, context.RequestAborted).ConfigureAwait(false);
        return Results.Json(page, ServerJsonContext.Default.MessageBatchList);
    }

    private static async Task<IResult> GetAsync(string messageBatchId, HttpContext context, MessageBatchCatalog catalog)
    {
        var caller = Caller.Of(context);
        var job = await catalog.FindAsync(messageBatchId, caller, context.RequestAborted).ConfigureAwait(false);
        return Json(await catalog.ToObjectAsync(job, caller, context.Request, context.RequestAborted).ConfigureAwait(false));
    }

    /// <summary>Cancels a batch that has not ended (200, <c>canceling</c>, or <c>ended</c> when it ended meanwhile); an ended one is a 400.</summary>
    private static async Task<IResult> CancelAsync(string messageBatchId, HttpContext context, BatchJobManager batches, MessageBatchCatalog catalog, BatchSupervisor supervisor)
    {
        var caller = Caller.Of(context);
        var job = await catalog.FindAsync(messageBatchId, caller, context.RequestAborted).ConfigureAwait(false);
        if (!job.IsTerminal)
        {
            try
            {
                job = await batches.CancelAsync(job.Id, context.RequestAborted).ConfigureAwait(false);
                supervisor.Watch(job.Id);
                return Json(await catalog.ToObjectAsync(job, caller, context.Request, context.RequestAborted).ConfigureAwait(false));
            }
            catch (InvalidOperationException)
            {
                // It ended meanwhile.
            }
        }

        throw ApiError.BadRequest($"Message batch '{messageBatchId}' has ended (processing_status 'ended') and can no longer be canceled.").ToException();
    }

    /// <summary>Deletes a batch that has ended, with its results; one still processing is a 400 (cancel it first).</summary>
    private static async Task<IResult> DeleteAsync(string messageBatchId, HttpContext context, BatchJobManager batches, MessageBatchCatalog catalog)
    {
        var caller = Caller.Of(context);
        var job = await catalog.FindAsync(messageBatchId, caller, context.RequestAborted).ConfigureAwait(false);
        try
        {
            await batches.DeleteAsync(job.Id, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            throw ApiError.BadRequest($"Message batch '{messageBatchId}' has not ended; message batches can only be deleted once they have ended. Cancel it first.").ToException();
        }

        catalog.Forget(job.Id);
        return Results.Json(new DeletedMessageBatch(messageBatchId), ServerJsonContext.Default.DeletedMessageBatch);
    }

    /// <summary>The results, JSONL, once the batch has ended (its <c>results_url</c>); before that a 400.</summary>
    private static async Task<IResult> GetResultsAsync(string messageBatchId, HttpContext context, BatchJobManager batches, MessageBatchCatalog catalog)
    {
        var caller = Caller.Of(context);
        var job = await catalog.FindAsync(messageBatchId, caller, context.RequestAborted).ConfigureAwait(false);
        return job.IsTerminal
            ? new MessageBatchResults(batches, job.Id)
            : throw ApiError.BadRequest($"Message batch '{messageBatchId}' is still processing; its results are available once its processing_status is 'ended'.").ToException();
    }

    private static IResult Json(MessageBatch batch) => Results.Json(batch, ServerJsonContext.Default.MessageBatch);
}
