using Microsoft.Extensions.Hosting;

namespace LocalBatch.Testing.Internal;

/// <summary>
/// A host lifetime that does nothing: the simulated gateway lives inside someone else's process and must not
/// hook Ctrl+C or SIGTERM, nor print status messages, as the default console lifetime does.
/// </summary>
internal sealed class NoOpHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
