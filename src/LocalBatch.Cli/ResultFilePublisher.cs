using System.Runtime.InteropServices;

namespace LocalBatch.Cli;

/// <summary>
/// Puts a batch's result file at the path the user asked for without writing it twice: a hard link to the store's file
/// where the file system allows (the same disk), a copy elsewhere. A link is always up to date: what a run appends
/// after an interruption is in it at once. The store's file holds whole lines once its run has stopped (a line cut
/// by a full disk is cut off); a copy takes whole lines only all the same, and an interrupted copy (Ctrl+C) is abandoned:
/// its temporary file is removed and the destination stays as it was.
/// </summary>
internal static partial class ResultFilePublisher
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Puts <paramref name="storePath"/> at <paramref name="destination"/>: a hard link, else a copy of its whole lines.</summary>
    /// <exception cref="OperationCanceledException">The copy was interrupted; the destination stays as it was.</exception>
    public static void Publish(string storePath, string destination, PublishOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        if (string.Equals(Path.GetFullPath(storePath), Path.GetFullPath(destination), StringComparison.Ordinal))
        {
            return;
        }

        if (!File.Exists(storePath))
        {
            WriteThroughTemporaryFile(destination, static _ => { });
            return;
        }

        // A link is made beside the destination and renamed over it, never written through: the destination may be a
        // link to a store file, which must not be cut, and it stays as it was until the new file replaces it whole.
        var temp = TemporaryPath(destination);
        File.Delete(temp);
        if (options.AllowLinks && TryLink(storePath, temp))
        {
            File.Move(temp, destination, overwrite: true);

            // rename() leaves both names when they already were links to one file (a publication repeated).
            File.Delete(temp);
        }
        else
        {
            CopyWholeLines(storePath, destination, options, cancellationToken);
        }
    }

    /// <summary>The number of whole lines in a published file: the requests it answers.</summary>
    public static long CountLines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize, FileOptions.SequentialScan);
        var buffer = new byte[BufferSize];
        long lines = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return lines;
    }

    /// <summary>
    /// Writes <paramref name="destination"/> through a temporary file renamed over it, so that a write cut short (a crash,
    /// a full disk, an interruption) never replaces the destination; an interrupted or failed write removes its temporary file.
    /// </summary>
    /// <exception cref="OperationCanceledException">The write was interrupted.</exception>
    public static void WriteThroughTemporaryFile(string destination, Action<FileStream> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temp = TemporaryPath(destination);
        try
        {
            using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize))
            {
                write(output);
            }

            File.Move(temp, destination, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Copies the whole lines of <paramref name="source"/> to <paramref name="destination"/> through a temporary file.</summary>
    private static void CopyWholeLines(string source, string destination, PublishOptions options, CancellationToken cancellationToken) =>
        WriteThroughTemporaryFile(destination, output =>
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize, FileOptions.SequentialScan);
            var buffer = new byte[BufferSize];
            long copied = 0;
            long wholeLines = 0;
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                options.BeforeChunk?.Invoke(cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = buffer.AsSpan(0, read);
                output.Write(chunk);
                if (chunk.LastIndexOf((byte)'\n') is var newline and >= 0)
                {
                    wholeLines = copied + newline + 1;
                }

                copied += read;
            }

            output.SetLength(wholeLines);
        });

    private static string TemporaryPath(string destination) => destination + ".partial";

    private static bool TryLink(string existing, string link)
    {
        try
        {
            return OperatingSystem.IsWindows() ? CreateHardLink(link, existing, 0) : Link(existing, link) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string link);

    [LibraryImport("kernel32.dll", EntryPoint = "CreateHardLinkW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLink(string link, string existing, nint securityAttributes);
}
