namespace LocalBatch.Server.Files.Internal;

/// <summary>A file the Files API can serve: its object and where its content is.</summary>
/// <param name="Object">The file object, as the API shows it.</param>
/// <param name="ContentPath">The full path of the content.</param>
/// <param name="BatchId">The batch whose result file it is, or <see langword="null"/> for an uploaded file.</param>
internal sealed record StoredFile(FileObject Object, string ContentPath, string? BatchId);
