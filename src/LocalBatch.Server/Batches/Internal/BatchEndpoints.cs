using LocalBatch.Batches;
using LocalBatch.Server.Files.Internal;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.Routing.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace LocalBatch.Server.Batches.Internal;

/// <summary>
/// OpenAI's Batch API (create, list, retrieve, cancel) and the gateway's <c>GET /v1/batches/{id}/results</c>, on
/// <see cref="BatchJobManager"/>: batch objects are its own, in OpenAI's shape.
/// </summary>
internal static class BatchEndpoints
{
    private const string BatchPurpose = "batch";
    private static readonly BatchCreateOptions s_accepted = new();

    public static void Map(OwnedRoutes api)
    {
        api.MapPost("/v1/batches", CreateAsync);
        api.MapGet("/v1/batches", ListAsync);
        api.MapGet("/v1/batches/{batchId}", GetAsync);
        api.MapPost("/v1/batches/{batchId}/cancel", CancelAsync);
        api.MapGet("/v1/batches/{batchId}/results", GetResultsAsync);
    }

    /// <summary>
    /// Validates the uploaded file and starts the batch: 200 with the batch, <c>in_progress</c>, or <c>failed</c> with
    /// every bad line listed in <c>errors.data</c> (with its line number) when the file is not a valid batch input.
    /// </summary>
    private static async Task<IResult> CreateAsync(HttpContext context, BatchJobManager batches, FileCatalog files, BatchSupervisor supervisor, IHostApplicationLifetime lifetime)
    {
        var caller = Caller.Of(context);
        var request = await CreateBatchRequest.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        var input = (FileIds.IsUpload(request.InputFileId) ? await files.FindAsync(request.InputFileId, caller, context.RequestAborted).ConfigureAwait(false) : null)
            ?? throw ApiError.NotFound($"No such File object: {request.InputFileId}", "input_file_id").ToException();
        if (input.Object.Purpose != BatchPurpose)
        {
            throw ApiError.BadRequest($"The input file {input.Object.Id} has purpose '{input.Object.Purpose}'; a batch's input file must be uploaded with purpose 'batch'.", "input_file_id").ToException();
        }

        await KeyLimits.EnsureMayStartBatchAsync(caller, batches, context.RequestAborted).ConfigureAwait(false);
        BatchJob job;
        try
        {
            // Not the request's token: a client that gives up waiting must not leave a batch interrupted halfway.
            job = await batches.CreateFromFileAsync(
                input.ContentPath,
                request.Endpoint,
                new BatchCreateOptions { InputFileId = input.Object.Id, CompletionWindow = request.CompletionWindow, Metadata = request.Metadata, Owner = caller.Owner },
                lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.ParamName is "endpoint" or "options")
        {
            // What the manager says of the arguments themselves; any other ArgumentException is not the client's.
            throw ApiError.BadRequest(FirstSentence(ex.Message), ParamOf(ex, request)).ToException();
        }
        catch (FileNotFoundException)
        {
            throw ApiError.NotFound($"No such File object: {input.Object.Id}", "input_file_id").ToException(); // deleted meanwhile
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            throw new ApiError(StatusCodes.Status503ServiceUnavailable, "The server stopped while the input file was validated; the batch was not started. Create it again.", ApiError.Server).ToException();
        }

        if (!job.IsTerminal)
        {
            supervisor.Watch(job.Id);
        }

        return Results.Json(caller.Show(job), BatchJsonContext.Default.BatchJob);
    }

    private static async Task<IResult> ListAsync(HttpContext context, BatchJobManager batches) =>
        Results.Json(await ListPageAsync(context, batches).ConfigureAwait(false), BatchJsonContext.Default.BatchPage);

    /// <summary>
    /// The page of the batches the caller may see that a list request asks for (<c>after</c>, <c>limit</c>), newest
    /// first: the API's list and the dashboard's.
    /// </summary>
    internal static async Task<BatchPage> ListPageAsync(HttpContext context, BatchJobManager batches)
    {
        var caller = Caller.Of(context);
        var query = context.Request.Query;
        var limit = QueryValues.Int(query, "limit", 20, 1, 100);
        var after = QueryValues.String(query, "after");
        var seen = new List<BatchJob>();
        await foreach (var job in batches.ListAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            if (caller.Sees(job.Owner))
            {
                seen.Add(caller.Show(job));
            }
        }

        var start = after is null ? 0 : seen.FindIndex(job => job.Id == after) is var position and >= 0 ? position + 1 : seen.Count;
        var page = seen.GetRange(start, Math.Min(limit, seen.Count - start));
        return new BatchPage(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, start + page.Count < seen.Count);
    }

    private static async Task<IResult> GetAsync(string batchId, HttpContext context, BatchJobManager batches)
    {
        var caller = Caller.Of(context);
        return Results.Json(caller.Show(await RetrieveAsync(batches, batchId, caller, context.RequestAborted).ConfigureAwait(false)), BatchJsonContext.Default.BatchJob);
    }

    /// <summary>
    /// Cancels an unfinished batch (200, <c>cancelling</c> or already <c>cancelled</c>); a batch that has ended cannot
    /// be cancelled: 409, as OpenAI answers.
    /// </summary>
    internal static async Task<IResult> CancelAsync(string batchId, HttpContext context, BatchJobManager batches, BatchSupervisor supervisor)
    {
        var caller = Caller.Of(context);
        var job = await RetrieveAsync(batches, batchId, caller, context.RequestAborted).ConfigureAwait(false);
        if (!job.IsTerminal)
        {
            try
            {
                job = await batches.CancelAsync(batchId, context.RequestAborted).ConfigureAwait(false);
                supervisor.Watch(batchId);
                return Results.Json(caller.Show(job), BatchJsonContext.Default.BatchJob);
            }
            catch (InvalidOperationException)
            {
                job = await RetrieveAsync(batches, batchId, caller, context.RequestAborted).ConfigureAwait(false); // it ended meanwhile
            }
        }

        throw ApiError.Conflict($"Cannot cancel a batch with status '{job.Status.ToWireName()}'.").ToException();
    }

    /// <summary>The batch's output file as written so far (whole lines), streamed; empty while it has none.</summary>
    private static async Task<IResult> GetResultsAsync(string batchId, HttpContext context, BatchJobManager batches)
    {
        var job = await RetrieveAsync(batches, batchId, Caller.Of(context), context.RequestAborted).ConfigureAwait(false);
        return new JsonlFileResult(batches.GetFilePath(job.Id, BatchFileKind.Output));
    }

    /// <summary>
    /// The batch: 400 for an id this server never gives (a path, an encoded <c>../</c>), 404 for an unknown one and for
    /// another key's (the same answer, so that ids cannot be probed).
    /// </summary>
    internal static async Task<BatchJob> RetrieveAsync(BatchJobManager batches, string batchId, Caller caller, CancellationToken cancellationToken)
    {
        try
        {
            var job = await batches.RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
            return caller.Sees(job.Owner) ? job : throw new KeyNotFoundException();
        }
        catch (ArgumentException)
        {
            throw ApiError.BadRequest($"'{batchId}' is not a valid batch id: batch ids are 'batch_' followed by letters and digits.", "batch_id", "invalid_batch_id").ToException();
        }
        catch (KeyNotFoundException)
        {
            throw ApiError.NotFound($"No batch found with id '{batchId}'.", "batch_id").ToException();
        }
    }

    /// <summary>
    /// The parameter the manager refused: the endpoint; else the completion window, unless it is the one accepted (the
    /// default); else the metadata (the input file id is an upload's, whose shape the manager accepts).
    /// </summary>
    private static string? ParamOf(ArgumentException exception, CreateBatchRequest request) =>
        exception.ParamName == "endpoint" ? "endpoint"
        : request.CompletionWindow != s_accepted.CompletionWindow ? "completion_window"
        : request.Metadata is not null ? "metadata"
        : null;

    /// <summary>An <see cref="ArgumentException"/>'s message without the " (Parameter 'x')" that .NET appends.</summary>
    private static string FirstSentence(string message)
    {
        var parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter < 0 ? message : message[..parameter];
    }
}
