using System.Globalization;
using LocalBatch.Batches;
using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Keys.Internal;

/// <summary>
/// The optional per-key limits of the keys file, checked where they bite: <c>max_running_batches</c> when a batch is
/// created (over it: 429, <c>rate_limit_exceeded</c>; Anthropic's <c>rate_limit_error</c> on its routes), and
/// <c>max_stored_bytes</c> when a file is uploaded (over it: 400, <c>storage_limit_exceeded</c>).
/// </summary>
internal static class KeyLimits
{
    /// <exception cref="ApiErrorException">429: the caller has as many unfinished batches as its key allows.</exception>
    public static async Task EnsureMayStartBatchAsync(Caller caller, BatchJobManager batches, CancellationToken cancellationToken)
    {
        if (caller.MaxRunningBatches is not { } max || caller.Owner is not { } owner)
        {
            return;
        }

        var running = 0;
        await foreach (var job in batches.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!job.IsTerminal && job.Owner == owner)
            {
                running++;
            }
        }

        if (running >= max)
        {
            throw new ApiError(
                StatusCodes.Status429TooManyRequests,
                string.Create(CultureInfo.InvariantCulture, $"The key '{owner}' has {running} unfinished batches, as many as it may have ({max}); wait for one to end, or cancel one."),
                "requests",
                Code: "rate_limit_exceeded").ToException();
        }
    }

    /// <exception cref="ApiErrorException">400: <paramref name="adding"/> more bytes would take the caller past its storage limit.</exception>
    public static void EnsureMayStore(Caller caller, long stored, long adding)
    {
        if (caller.MaxStoredBytes is { } max && stored + adding > max)
        {
            throw ApiError.BadRequest(
                string.Create(CultureInfo.InvariantCulture, $"The key '{caller.Owner}' may store {max} bytes of files; it stores {stored}, and this file has {adding}. Delete some files first."),
                "file",
                "storage_limit_exceeded").ToException();
        }
    }
}
