namespace LocalBatch.Internal;

/// <summary>
/// A write the file system refused because the file would pass the largest it allows (FAT32's 4 GB) or the process's
/// file-size limit (EFBIG). On Unix, .NET reports it as an <see cref="ArgumentOutOfRangeException"/> on <c>value</c>,
/// not an <see cref="IOException"/>: the store's writes turn it into an <see cref="IOException"/>, as a full disk is, so
/// that a run stops resumably, a torn line is cut off, and <c>serve</c> answers 507.
/// </summary>
internal static class FileTooLarge
{
    /// <summary>EFBIG, the <see cref="Exception.HResult"/> of the <see cref="IOException"/> made.</summary>
    public const int ErrorCode = 27;

    /// <summary>Whether an exception thrown by a write to a file of the store is this refusal.</summary>
    public static bool Is(Exception exception) => exception is ArgumentOutOfRangeException { ParamName: "value" };

    /// <summary>The refusal as an <see cref="IOException"/> naming the file (not its folder).</summary>
    public static IOException ToIOException(string path) =>
        new($"The file system refused to make {Path.GetFileName(path)} larger: it would pass the largest file the file system (or this process's file-size limit) allows.", ErrorCode);
}
