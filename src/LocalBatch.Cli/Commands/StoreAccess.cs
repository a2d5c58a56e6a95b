using LocalBatch.Batches;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// Opens a store directory for the <c>batches</c> commands, to look at or manage it; nothing resumes. A store that does
/// not exist is never created: the command says so instead.
/// </summary>
internal static class StoreAccess
{
    /// <summary>Runs <paramref name="action"/> on the store and closes it; without a store, <paramref name="whenMissing"/> answers, else a usage error.</summary>
    /// <param name="directory">The store directory (<c>--state-dir</c>).</param>
    /// <param name="action">What the command does with the store.</param>
    /// <param name="whenMissing">What the command does when there is no store (given its full path), when that is not an error.</param>
    /// <exception cref="CliUsageException">There is no store, and <paramref name="whenMissing"/> is <see langword="null"/>.</exception>
    public static async Task<int> WithStoreAsync(string directory, Func<BatchJobManager, Task<int>> action, Func<string, Task<int>>? whenMissing = null)
    {
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            return whenMissing is not null ? await whenMissing(root).ConfigureAwait(false) : throw NoStore(root);
        }

        // A cancel of a batch no process runs finishes it here, sending nothing.
        using var processor = new LocalBatchProcessor(new LocalBatchOptions());
        var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = root, ResumeOnStart = false });
        await using (manager.ConfigureAwait(false))
        {
            return await action(manager).ConfigureAwait(false);
        }
    }

    /// <summary>The sentence for a store directory that does not exist.</summary>
    public static string NoStoreMessage(string root) => $"there is no batch store at {root}: `localbatch run` makes one; --state-dir names another.";

    private static CliUsageException NoStore(string root) => new(NoStoreMessage(root));
}
