using System.Text.Json;
using LocalBatch.Server.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Server.Files.Internal;

/// <summary>
/// The uploaded files, in the <c>files</c> folder of the state directory (which <see cref="LocalBatch.Batches.BatchJobManager"/>
/// skips: its batches are the <c>batch_…</c> folders): <c>{id}.data</c> holds the content as uploaded, byte for byte, and
/// <c>{id}.json</c> the file object. The content is written first, to a temporary file renamed into place; the object is
/// written last, atomically, so that a file exists exactly when its object does; a deletion removes the object first.
/// </summary>
internal sealed class FileStore
{
    public const string FolderName = "files";
    private const string ObjectExtension = ".json";
    private const string ContentExtension = ".data";
    private const string UploadPrefix = "upload-";
    private const string TemporaryExtension = ".tmp";

    private readonly ILogger _logger;

    public FileStore(string stateDirectory, ILogger<FileStore> logger)
    {
        _logger = logger;
        Root = Path.GetFullPath(Path.Combine(stateDirectory, FolderName));
        Directory.CreateDirectory(Root);
        RemoveAbandonedUploads();
    }

    public string Root { get; }

    public string ContentPath(string id) => PathOf(id, ContentExtension);

    /// <summary>Creates the temporary file an upload streams into, before it has an id.</summary>
    public FileStream CreateUpload(out string path)
    {
        path = Path.Combine(Root, UploadPrefix + Guid.NewGuid().ToString("N") + TemporaryExtension);
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
    }

    /// <summary>Makes a complete upload a file: its content moves into place, then its object is written.</summary>
    public async Task CommitAsync(string uploadPath, FileObject file, CancellationToken cancellationToken)
    {
        File.Move(uploadPath, ContentPath(file.Id));
        var path = PathOf(file.Id, ObjectExtension);
        var temporary = path + TemporaryExtension;
        var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, file, ServerJsonContext.Default.FileObject, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a file's object; <see langword="null"/> when there is no such file, or its object is damaged (logged).</summary>
    public async Task<FileObject?> TryReadAsync(string id, CancellationToken cancellationToken)
    {
        var path = PathOf(id, ObjectExtension);
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync(stream, ServerJsonContext.Default.FileObject, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException ex)
        {
            Log.FileObjectUnreadable(_logger, id, ex);
            return null;
        }
    }

    /// <summary>Every uploaded file whose object can be read.</summary>
    public async Task<List<FileObject>> ListAsync(CancellationToken cancellationToken)
    {
        var files = new List<FileObject>();
        foreach (var path in Directory.EnumerateFiles(Root, "*" + ObjectExtension))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            if (FileIds.IsUpload(id) && await TryReadAsync(id, cancellationToken).ConfigureAwait(false) is { } file)
            {
                files.Add(file);
            }
        }

        return files;
    }

    /// <summary>Deletes a file: its object first (it is gone from then on), then its content.</summary>
    /// <returns><see langword="false"/> when there was no such file.</returns>
    public bool Delete(string id)
    {
        var path = PathOf(id, ObjectExtension);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        File.Delete(ContentPath(id));
        return true;
    }

    private string PathOf(string id, string extension) => FileIds.IsUpload(id)
        ? Path.Combine(Root, id + extension)
        : throw new ArgumentException($"'{id}' is not the id of an uploaded file.", nameof(id));

    /// <summary>
    /// Removes what uploads cut short by a crash or a kill left behind: every temporary file of the folder that no live
    /// process holds open. A process writes its temporary files with <see cref="FileShare.None"/>, an exclusive lock on
    /// every system .NET runs on (<c>flock</c> on Unix) that the kernel releases when the process ends, however it ends;
    /// so the uploads in progress of another server sharing this store are left alone, and whatever is left is a
    /// leftover. Each is opened with that lock and deleted as it is closed, so that none is taken from a writer that opens
    /// it meanwhile.
    /// </summary>
    /// <remarks>
    /// An upload is not locked for the moment between its last write and its rename into place; a second server
    /// starting at that very moment would remove it, and that upload would fail with a 500 (it was never listed).
    /// </remarks>
    private void RemoveAbandonedUploads()
    {
        foreach (var path in Directory.EnumerateFiles(Root, "*" + TemporaryExtension))
        {
            try
            {
                new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose).Dispose();
                Log.AbandonedUploadRemoved(_logger, path);
            }
            catch (IOException)
            {
                // Held by a live process (its upload is under way), or gone meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
                // Not this process's to remove.
            }
        }
    }
}
