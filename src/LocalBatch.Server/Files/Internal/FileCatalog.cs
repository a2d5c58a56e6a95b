using LocalBatch.Batches;
using LocalBatch.Server.Keys.Internal;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Files.Internal;

/// <summary>
/// Every file the Files API shows: the uploaded ones, and the output and error files of the batches that have them
/// (purpose <c>batch_output</c>, ids taken from the batch's <c>output_file_id</c> and <c>error_file_id</c>, content
/// read where <see cref="BatchJobManager.GetFilePath(string, BatchFileKind)"/> says it is). A caller finds and lists only
/// the files it may see (<see cref="Caller.Sees"/>: its own, all for an admin), shown as it may see them.
/// </summary>
internal sealed class FileCatalog(FileStore store, BatchJobManager batches, IOptions<LocalBatchServerOptions> options)
{
    public const string BatchOutputPurpose = "batch_output";

    private static readonly BatchFileKind[] s_resultKinds = [BatchFileKind.Output, BatchFileKind.Errors];

    private readonly TimeSpan? _retention = options.Value.Retention;

    /// <summary>The file with this id, or <see langword="null"/> when there is none that <paramref name="caller"/> may see.</summary>
    public async Task<StoredFile?> FindAsync(string id, Caller caller, CancellationToken cancellationToken)
    {
        if (FileIds.IsUpload(id))
        {
            return await store.TryReadAsync(id, cancellationToken).ConfigureAwait(false) is { } file && caller.Sees(file.Owner)
                ? new StoredFile(caller.Show(file with { ExpiresAt = ExpiresAt(file.CreatedAt) }), store.ContentPath(id), BatchId: null)
                : null;
        }

        if (!FileIds.TryParseBatchFile(id, out var batchId, out var kind))
        {
            return null;
        }

        BatchJob job;
        try
        {
            job = await batches.RetrieveAsync(batchId, cancellationToken).ConfigureAwait(false);
        }
        catch (KeyNotFoundException)
        {
            return null;
        }

        // The id must be the one the batch gives: a result file shows up only once its batch has ended.
        return (kind == BatchFileKind.Output ? job.OutputFileId : job.ErrorFileId) == id && caller.Sees(job.Owner) ? ResultFile(job, kind, caller) : null;
    }

    /// <summary>Every file <paramref name="caller"/> may see, with <paramref name="purpose"/> when it is set, in no particular order.</summary>
    public async Task<List<FileObject>> ListAsync(string? purpose, Caller caller, CancellationToken cancellationToken)
    {
        var files = new List<FileObject>();
        if (purpose is null or not BatchOutputPurpose)
        {
            foreach (var file in await store.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                if ((purpose is null || file.Purpose == purpose) && caller.Sees(file.Owner))
                {
                    files.Add(caller.Show(file with { ExpiresAt = ExpiresAt(file.CreatedAt) }));
                }
            }
        }

        if (purpose is null or BatchOutputPurpose)
        {
            await foreach (var job in batches.ListAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var kind in s_resultKinds)
                {
                    if (caller.Sees(job.Owner) && ResultFile(job, kind, caller) is { } result)
                    {
                        files.Add(result.Object);
                    }
                }
            }
        }

        return files;
    }

    /// <summary>Deletes a file: an upload from the store, a batch's result file from its batch's folder.</summary>
    public bool Delete(StoredFile file)
    {
        if (file.BatchId is null)
        {
            return store.Delete(file.Object.Id);
        }

        File.Delete(file.ContentPath);
        return true;
    }

    /// <summary>When the retention removes something made (or ended) at <paramref name="since"/>, if it does.</summary>
    public long? ExpiresAt(long since) => _retention is { } retention ? since + (long)retention.TotalSeconds : null;

    /// <summary>When a batch ended, in Unix seconds (its creation, for one that has not).</summary>
    public static long EndedAt(BatchJob job) => job.CompletedAt ?? job.FailedAt ?? job.CancelledAt ?? job.ExpiredAt ?? job.CreatedAt;

    /// <summary>How many bytes the files uploaded by <paramref name="owner"/> hold together.</summary>
    public async Task<long> StoredBytesAsync(string owner, CancellationToken cancellationToken) =>
        (await store.ListAsync(cancellationToken).ConfigureAwait(false)).Where(file => file.Owner == owner).Sum(file => file.Bytes);

    private StoredFile? ResultFile(BatchJob job, BatchFileKind kind, Caller caller)
    {
        var id = kind == BatchFileKind.Output ? job.OutputFileId : job.ErrorFileId;
        if (id is null)
        {
            return null;
        }

        var path = batches.GetFilePath(job.Id, kind);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null; // deleted through the Files API
        }

        var ended = EndedAt(job);
        var name = $"{job.Id}_{(kind == BatchFileKind.Output ? "output" : "errors")}.jsonl";
        var file = caller.Show(new FileObject(id, info.Length, ended, name, BatchOutputPurpose) { ExpiresAt = ExpiresAt(ended), Owner = job.Owner });
        return new StoredFile(file, path, job.Id);
    }
}
