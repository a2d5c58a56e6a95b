namespace LocalBatch.Batches;

/// <summary>Removing finished batches from the store.</summary>
public sealed partial class BatchJobManager
{
    /// <summary>
    /// Deletes a batch that has ended (completed, failed, expired or cancelled) from the store, with its input, output
    /// and error files. It disappears from listings at once; an unfinished batch is never deleted.
    /// </summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Cancels the look-up (not the deletion once it has started).</param>
    /// <returns>A task that completes when the batch is gone.</returns>
    /// <exception cref="ArgumentException">The id is not a batch id.</exception>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="InvalidOperationException">The batch has not ended, or a process holds it.</exception>
    /// <exception cref="IOException">A file of the batch could not be deleted (what is left is no longer a batch).</exception>
    public async Task DeleteAsync(string batchId, CancellationToken cancellationToken = default)
    {
        var job = await RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (!job.IsTerminal)
        {
            throw new InvalidOperationException($"Batch '{batchId}' is {job.Status.ToWireName()}; only a batch that has ended can be deleted.");
        }

        // Under the run lock, so that no process starts it meanwhile; the state goes first, so that a failure halfway
        // leaves a folder that listings and resumes skip, never a batch with missing files.
        var runLock = _store.TryLock(batchId) ?? throw new InvalidOperationException($"Batch '{batchId}' is held by another process and cannot be deleted now.");
        await using (runLock.ConfigureAwait(false))
        {
            job = await _store.ReadStateAsync(batchId, CancellationToken.None).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"No batch '{batchId}' in the store {_store.Root}.");
            if (!job.IsTerminal)
            {
                throw new InvalidOperationException($"Batch '{batchId}' is {job.Status.ToWireName()}; only a batch that has ended can be deleted.");
            }

            File.Delete(_store.StatePath(batchId));
        }

        Directory.Delete(_store.DirectoryOf(batchId), recursive: true);
    }
}
