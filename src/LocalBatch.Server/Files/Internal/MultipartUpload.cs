using System.Buffers;
using System.Text;
using LocalBatch.Internal;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Keys.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace LocalBatch.Server.Files.Internal;

/// <summary>
/// Reads <c>POST /v1/files</c>: a <c>multipart/form-data</c> body with a <c>file</c> and a <c>purpose</c>, in either
/// order. The file streams to disk through one small buffer, so memory stays flat whatever its size; one over the
/// limit is refused with 413 as soon as the limit is passed, and nothing of it is kept.
/// </summary>
internal static class MultipartUpload
{
    /// <summary>The purposes OpenAI accepts for an upload; only <c>batch</c> files can become a batch's input.</summary>
    public static readonly string[] Purposes = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

    /// <summary>Room for the multipart framing and the small fields, beyond the file's own limit.</summary>
    private const long FramingAllowance = 64 * 1024;
    private const int MaxFieldBytes = 1024;
    private const int MaxFileNameLength = 255;

    /// <summary>Receives an upload owned by <paramref name="caller"/>, who stores <paramref name="storedBytes"/> already.</summary>
    /// <exception cref="ApiErrorException">
    /// The body is not a valid upload (400), the file would take the caller past its key's storage limit (400), or the
    /// file is too large (413).
    /// </exception>
    public static async Task<FileObject> ReceiveAsync(HttpRequest request, FileStore store, long maxFileBytes, Caller caller, long storedBytes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var boundary = ReadBoundary(request.ContentType);
        var limit = maxFileBytes + FramingAllowance;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limit + OversizedBody.DrainAllowance;
        }

        if (request.ContentLength > limit)
        {
            throw TooLarge(maxFileBytes).ToException(); // before reading it: the client gets the answer (corpus case 53)
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        string? purpose = null;
        string? fileName = null;
        string? uploadPath = null;
        long bytes = 0;
        var committed = false;
        try
        {
            while (await ReadAsync(() => reader.ReadNextSectionAsync(cancellationToken), cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                    || StringSegment.IsNullOrEmpty(disposition.Name))
                {
                    throw ApiError.BadRequest("Every part of the multipart body must have a Content-Disposition of form-data with a name.").ToException();
                }

                switch (HeaderUtilities.RemoveQuotes(disposition.Name).Value)
                {
                    case "file" when uploadPath is not null:
                        throw ApiError.BadRequest("The upload has more than one 'file'; send one file per request.", "file").ToException();
                    case "file" when !disposition.IsFileDisposition():
                        throw ApiError.BadRequest("The 'file' part must be a file (its Content-Disposition needs a filename).", "file").ToException();
                    case "file":
                        fileName = CleanFileName(disposition);
                        var upload = store.CreateUpload(out uploadPath);
                        try
                        {
                            await using (upload.ConfigureAwait(false))
                            {
                                bytes = await CopyAsync(section.Body, upload, maxFileBytes, TooLarge(maxFileBytes), cancellationToken).ConfigureAwait(false);
                                upload.Flush(flushToDisk: true);
                            }
                        }
                        catch (Exception ex) when (FileTooLarge.Is(ex))
                        {
                            throw FileTooLarge.ToIOException(uploadPath); // the store is full: a 507
                        }

                        break;
                    case "purpose":
                        purpose = await ReadFieldAsync(section.Body, "purpose", cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        break; // other fields (OpenAI's expires_after, …) are not used; the reader skips their content
                }
            }

            if (purpose is null)
            {
                throw ApiError.MissingParameter("purpose").ToException();
            }

            if (!Purposes.Contains(purpose, StringComparer.Ordinal))
            {
                throw ApiError.BadRequest($"'{purpose}' is not one of {string.Join(", ", Purposes.Select(p => $"'{p}'"))} - 'purpose'.", "purpose").ToException();
            }

            if (uploadPath is null)
            {
                throw ApiError.MissingParameter("file").ToException();
            }

            KeyLimits.EnsureMayStore(caller, storedBytes, bytes);
            var file = new FileObject(FileIds.NewUpload(now), bytes, now.ToUnixTimeSeconds(), fileName!, purpose) { Owner = caller.Owner };
            await store.CommitAsync(uploadPath, file, cancellationToken).ConfigureAwait(false);
            committed = true;
            return file;
        }
        catch (ApiErrorException ex) when (ex.Error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await OversizedBody.DrainAsync(request.Body, cancellationToken).ConfigureAwait(false); // a file part over the limit
            throw;
        }
        catch (BadHttpRequestException ex)
        {
            throw (ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge(maxFileBytes) : ApiErrorFilter.FromKestrel(ex)).ToException();
        }
        finally
        {
            if (!committed && uploadPath is not null)
            {
                File.Delete(uploadPath);
            }
        }
    }

    private static string ReadBoundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiError.BadRequest(
                $"Uploads must be multipart/form-data with the fields 'file' and 'purpose'; the request's Content-Type is '{contentType ?? "(none)"}'.",
                code: "invalid_content_type").ToException();
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        return string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200
            ? throw ApiError.BadRequest("The multipart/form-data Content-Type has no valid boundary.", code: "invalid_content_type").ToException()
            : boundary;
    }

    /// <summary>Copies at most <paramref name="limit"/> bytes through one pooled buffer; past the limit, throws <paramref name="tooLarge"/>.</summary>
    private static async Task<long> CopyAsync(Stream source, Stream destination, long limit, ApiError tooLarge, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await ReadAsync(() => source.ReadAsync(buffer, cancellationToken), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    throw tooLarge.ToException();
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the request: a body cut short, a missing final boundary, headers over the limits — a multipart body that is
    /// not whole — is the client's 400. (An error writing the store is the server's; it is not caught here.)
    /// </summary>
    private static async Task<T> ReadAsync<T>(Func<ValueTask<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException && ex is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw ApiError.BadRequest($"The multipart/form-data body could not be read: {ex.Message}").ToException();
        }
    }

    private static Task<T> ReadAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken) =>
        ReadAsync(() => new ValueTask<T>(read()), cancellationToken);

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        using var value = new MemoryStream();
        var tooLong = ApiError.BadRequest($"The field '{name}' is longer than {MaxFieldBytes} bytes.", name);
        await CopyAsync(body, value, MaxFieldBytes, tooLong, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(value.GetBuffer(), 0, (int)value.Length).Trim();
    }

    /// <summary>The name the client gave, as a name only: no folders, no control characters, at most 255 characters.</summary>
    private static string CleanFileName(ContentDispositionHeaderValue disposition)
    {
        var given = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? string.Empty;
        var name = new string(given[(given.LastIndexOfAny(['/', '\\']) + 1)..].Where(c => !char.IsControl(c)).ToArray()).Trim();
        return name.Length == 0 ? "upload" : name.Length > MaxFileNameLength ? name[..MaxFileNameLength] : name;
    }

    private static ApiError TooLarge(long limit) =>
        ApiError.TooLarge($"The file is larger than this server's upload limit of {limit} bytes.", "file");
}
