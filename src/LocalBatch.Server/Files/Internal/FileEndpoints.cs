using System.Globalization;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.Routing.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Files.Internal;

/// <summary>OpenAI's Files API: upload, list, retrieve, download and delete.</summary>
internal static class FileEndpoints
{
    private const int DefaultListLimit = 10_000;

    public static void Map(OwnedRoutes api)
    {
        api.MapPost("/v1/files", UploadAsync);
        api.MapGet("/v1/files", ListAsync);
        api.MapGet("/v1/files/{fileId}", GetAsync);
        api.MapGet("/v1/files/{fileId}/content", GetContentAsync);
        api.MapDelete("/v1/files/{fileId}", DeleteAsync);
    }

    private static async Task<IResult> UploadAsync(HttpContext context, FileStore store, FileCatalog catalog, IOptions<LocalBatchServerOptions> options, TimeProvider time)
    {
        var caller = Caller.Of(context);
        var stored = caller is { MaxStoredBytes: not null, Owner: { } owner } ? await catalog.StoredBytesAsync(owner, context.RequestAborted).ConfigureAwait(false) : 0;
        var file = await MultipartUpload.ReceiveAsync(context.Request, store, options.Value.MaxUploadSize, caller, stored, time.GetUtcNow(), context.RequestAborted).ConfigureAwait(false);
        return Results.Json(caller.Show(file with { ExpiresAt = catalog.ExpiresAt(file.CreatedAt) }), ServerJsonContext.Default.FileObject);
    }

    private static async Task<IResult> ListAsync(HttpContext context, FileCatalog catalog)
    {
        var query = context.Request.Query;
        var limit = QueryValues.Int(query, "limit", DefaultListLimit, 1, DefaultListLimit);
        var order = QueryValues.String(query, "order") ?? "desc";
        if (order is not ("asc" or "desc"))
        {
            throw ApiError.BadRequest($"'{order}' is not one of 'asc', 'desc' - 'order'.", "order").ToException();
        }

        var files = await catalog.ListAsync(QueryValues.String(query, "purpose"), Caller.Of(context), context.RequestAborted).ConfigureAwait(false);
        files.Sort(static (a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : string.CompareOrdinal(a.Id, b.Id));
        if (order == "desc")
        {
            files.Reverse();
        }

        var start = 0;
        if (QueryValues.String(query, "after") is { } after)
        {
            var position = files.FindIndex(file => file.Id == after);
            start = position < 0 ? files.Count : position + 1;
        }

        var page = files.GetRange(start, Math.Min(limit, files.Count - start));
        var list = new FileList(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, start + page.Count < files.Count);
        return Results.Json(list, ServerJsonContext.Default.FileList);
    }

    private static async Task<IResult> GetAsync(string fileId, HttpContext context, FileCatalog catalog)
    {
        var file = await FindAsync(fileId, Caller.Of(context), catalog, context.RequestAborted).ConfigureAwait(false);
        return Results.Json(file.Object, ServerJsonContext.Default.FileObject);
    }

    internal static async Task<IResult> GetContentAsync(string fileId, HttpContext context, FileCatalog catalog)
    {
        var file = await FindAsync(fileId, Caller.Of(context), catalog, context.RequestAborted).ConfigureAwait(false);
        return Results.File(file.ContentPath, "application/octet-stream");
    }

    private static async Task<IResult> DeleteAsync(string fileId, HttpContext context, FileCatalog catalog)
    {
        var file = await FindAsync(fileId, Caller.Of(context), catalog, context.RequestAborted).ConfigureAwait(false);
        return catalog.Delete(file)
            ? Results.Json(new FileDeleted(file.Object.Id), ServerJsonContext.Default.FileDeleted)
            : throw NotFound(fileId).ToException();
    }

    /// <summary>
    /// The file with this id: 400 for an id this server never gives (a path, an encoded <c>../</c>), 404 for an unknown
    /// one and for another key's (the same answer, so that ids cannot be probed).
    /// </summary>
    private static async Task<StoredFile> FindAsync(string id, Caller caller, FileCatalog catalog, CancellationToken cancellationToken)
    {
        if (!FileIds.IsWellFormed(id))
        {
            throw ApiError.BadRequest($"'{id}' is not a valid file id: file ids are 'file-' followed by letters, digits and dashes.", "file_id", "invalid_file_id").ToException();
        }

        return await catalog.FindAsync(id, caller, cancellationToken).ConfigureAwait(false) ?? throw NotFound(id).ToException();
    }

    private static ApiError NotFound(string id) => ApiError.NotFound(string.Create(CultureInfo.InvariantCulture, $"No such File object: {id}"), "file_id");
}
