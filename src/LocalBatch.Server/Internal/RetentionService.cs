using LocalBatch.Batches;
using LocalBatch.Server.Files.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Applies <see cref="LocalBatchServerOptions.Retention"/>, when it is set: at start-up and then every tenth of the
/// retention (between a second and an hour), removes each batch that ended longer ago than that, with its output and
/// error files, and each uploaded file older than that, except while an unfinished batch uses it as its input. An
/// unfinished batch is never removed.
/// </summary>
internal sealed class RetentionService(
    BatchJobManager batches,
    FileStore files,
    IOptions<LocalBatchServerOptions> options,
    TimeProvider time,
    ILogger<RetentionService> logger) : BackgroundService
{
    private readonly TimeSpan? _retention = options.Value.Retention;
    private readonly SemaphoreSlim _sweeping = new(1, 1);

    public override void Dispose()
    {
        _sweeping.Dispose();
        base.Dispose();
    }

    /// <summary>Removes what the retention has passed at <paramref name="now"/>; one sweep at a time.</summary>
    public async Task SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_retention is not { } retention)
        {
            return;
        }

        await _sweeping.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cutoff = (now - retention).ToUnixTimeSeconds();
            var inUse = new HashSet<string>(StringComparer.Ordinal);
            var ended = new List<BatchJob>();
            await foreach (var job in batches.ListAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!job.IsTerminal)
                {
                    inUse.Add(job.InputFileId);
                }
                else if (FileCatalog.EndedAt(job) <= cutoff)
                {
                    ended.Add(job);
                }
            }

            foreach (var job in ended)
            {
                await RemoveAsync(job.Id, FileCatalog.EndedAt(job), now, () => batches.DeleteAsync(job.Id, cancellationToken), Log.RetentionRemovedBatch).ConfigureAwait(false);
            }

            foreach (var file in await files.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                if (file.CreatedAt <= cutoff && !inUse.Contains(file.Id))
                {
                    await RemoveAsync(file.Id, file.CreatedAt, now, () => Task.FromResult(files.Delete(file.Id)), Log.RetentionRemovedFile).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _sweeping.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_retention is not { } retention)
        {
            return;
        }

        var interval = TimeSpan.FromTicks(Math.Clamp(retention.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerHour));
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                await SweepAsync(time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server is stopping.
        }
    }

    /// <summary>Removes one batch or file; a failure is logged and left to the next sweep.</summary>
    private async Task RemoveAsync(string id, long since, DateTimeOffset now, Func<Task> remove, Action<ILogger, string, TimeSpan> removed)
    {
        try
        {
            await remove().ConfigureAwait(false);
            removed(logger, id, now - DateTimeOffset.FromUnixTimeSeconds(since));
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or IOException or UnauthorizedAccessException)
        {
            Log.RetentionFailed(logger, id, ex);
        }
    }
}
