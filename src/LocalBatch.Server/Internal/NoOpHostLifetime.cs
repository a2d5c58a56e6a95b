using Microsoft.Extensions.Hosting;

namespace LocalBatch.Server.Internal;

/// <summary>
/// A host lifetime that does nothing: the server lives inside someone else's process (the <c>localbatch</c> tool, a
/// test, a sample), which decides when it stops, so it must not hook Ctrl+C or SIGTERM, nor print status messages.
/// </summary>
internal sealed class NoOpHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
