using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Internal;

/// <summary>
/// A request body over its limit is read and dropped, up to <see cref="DrainAllowance"/> past that limit, before its 413
/// is answered: a client still sending it (the OpenAI SDKs do not wait for <c>100 Continue</c>) then reads the answer
/// instead of losing its connection mid-send. A body larger still is cut off, and Kestrel closes the connection.
/// </summary>
internal static class OversizedBody
{
    /// <summary>How far past its limit a body is still read to give its client the 413.</summary>
    public const long DrainAllowance = 16 * 1024 * 1024;

    /// <summary>Reads the rest of the body and drops it; one over the allowance (Kestrel's limit) stops it short.</summary>
    public static async Task DrainAsync(Stream body, CancellationToken cancellationToken)
    {
        try
        {
            await body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException)
        {
            // Past the allowance too, or cut short by the client: the 413 is answered all the same.
        }
    }
}
