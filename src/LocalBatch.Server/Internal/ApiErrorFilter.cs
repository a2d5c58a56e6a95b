using LocalBatch.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Turns whatever a handler throws into an OpenAI error answer: its own <see cref="ApiErrorException"/> as it says, a
/// request Kestrel refused (such as a body over the size limit) with Kestrel's status, a store whose disk is full as a
/// 507, and anything else as a 500; the details of those last two go to the log, never to the client (a path of the
/// store, say).
/// </summary>
internal sealed class ApiErrorFilter(ILogger<ApiErrorFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (ApiErrorException ex)
        {
            return ex.Error.ToResult();
        }
        catch (BadHttpRequestException ex)
        {
            return FromKestrel(ex).ToResult();
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            Log.StoreFull(logger, http.Request.Method, http.Request.Path, ex);
            return ApiError.InsufficientStorage().ToResult();
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty; // the client has gone: nobody reads an answer
        }
        catch (Exception ex)
        {
            Log.UnexpectedError(logger, http.Request.Method, http.Request.Path, ex);
            return ApiError.Unexpected().ToResult();
        }
    }

    /// <summary>
    /// Whether the store's disk has no room for a write: no space left, a quota reached, or a file over the process's size
    /// limit (on Unix the exception's HResult is the errno; on Windows, the Win32 error as an HRESULT).
    /// </summary>
    public static bool IsDiskFull(IOException exception) => exception.HResult is
        28 or FileTooLarge.ErrorCode or 122 or 69 // ENOSPC, EFBIG (as the store's writes turn it into an IOException), EDQUOT on Linux, on macOS
        or unchecked((int)0x80070070) or unchecked((int)0x80070027); // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL

    /// <summary>The answer to a request Kestrel refused while it was read (a body too large, too slow, or cut short).</summary>
    public static ApiError FromKestrel(BadHttpRequestException exception) => exception.StatusCode == StatusCodes.Status413PayloadTooLarge
        ? ApiError.BodyTooLarge()
        : new ApiError(exception.StatusCode, $"The request could not be read: {exception.Message}");
}
