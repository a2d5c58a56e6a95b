using LocalBatch.Batches;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Files.Internal;

/// <summary>
/// Every file the Files API shows: the uploaded ones, and the output and error files of the batches that have them
/// (purpose <c>batch_output</c>, ids taken from the batch's <c>output_file_id</c> and <c>error_file_id</c>, content
/// read where <see cref="BatchJobManager.GetFilePath(string, BatchFileKind)"/> says it is).
/// </summary>
internal sealed class FileCatalog(FileStore store, BatchJobManager batches, IOptions<LocalBatchServerOptions> options)
{
    public const string BatchOutputPurpose = "batch_output";

    private static readonly BatchFileKind[] s_resultKinds = [BatchFileKind.Output, BatchFileKind.Errors];

    private readonly TimeSpan? _retention = options.Value.Retention;

    public async Task<StoredFile?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (FileIds.IsUpload(id))
        {
            return await store.TryReadAsync(id, cancellationToken).ConfigureAwait(false) is { } file
                ? new StoredFile(file with { ExpiresAt = ExpiresAt(file.CreatedAt) }, store.ContentPath(id), BatchId: null)
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
        return (kind == BatchFileKind.Output ? job.OutputFileId : job.ErrorFileId) == id ? ResultFile(job, kind) : null;
    }

    /// <summary>Every file, with <paramref name="purpose"/> when it is set, in no particular order.</summary>
    public async Task<List<FileObject>> ListAsync(string? purpose, CancellationToken cancellationToken)
    {
        var files = new List<FileObject>();
        if (purpose is null or not BatchOutputPurpose)
        {
            foreach (var file in await store.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                if (purpose is null || file.Purpose == purpose)
                {
                    files.Add(file with { ExpiresAt = ExpiresAt(file.CreatedAt) });
                }
            }
        }

        if (purpose is null or BatchOutputPurpose)
        {
            await foreach (var job in batches.ListAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var kind in s_resultKinds)
                {
                    if (ResultFile(job, kind) is { } result)
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

    private StoredFile? ResultFile(BatchJob job, BatchFileKind kind)
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
        var file = new FileObject(id, info.Length, ended, name, BatchOutputPurpose) { ExpiresAt = ExpiresAt(ended) };
        return new StoredFile(file, path, job.Id);
    }
}
