using System.IO.Pipelines;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Connection middleware that gives the errors Kestrel answers itself OpenAI's error body (see
/// <see cref="KestrelErrorWriter"/>): they are answered before any middleware or endpoint runs, so only the connection's
/// output can change them.
/// </summary>
internal static class KestrelErrorBodies
{
    /// <summary>Adds the middleware to a listening endpoint.</summary>
    public static void UseKestrelErrorBodies(this ListenOptions listen) => listen.Use(static next => async connection =>
    {
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(transport.Input, new KestrelErrorWriter(transport.Output));
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            connection.Transport = transport;
        }
    });

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
