using System.Runtime.InteropServices;

namespace LocalBatch.Cli;

/// <summary>
/// Puts a batch's result file at the path the user asked for without writing it twice: a hard link to the store's file
/// where the file system allows (the same disk), a copy elsewhere. A link is always up to date: what a run appends
/// after an interruption is in it at once. The store's file holds whole lines once its run has stopped (a line cut
/// by a full disk is cut off); a copy takes whole lines only all the same.
/// </summary>
internal static partial class ResultFilePublisher
{
    private const int BufferSize = 64 * 1024;

    public static void Publish(string storePath, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        if (string.Equals(Path.GetFullPath(storePath), Path.GetFullPath(destination), StringComparison.Ordinal))
        {
            return;
        }

        if (!File.Exists(storePath))
        {
            File.WriteAllBytes(destination, []);
            return;
        }

        // Removed first, never written through: the destination may be a link to a store file, which must not be cut.
        File.Delete(destination);
        if (!TryLink(storePath, destination))
        {
            CopyWholeLines(storePath, destination);
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
    /// Copies the whole lines of <paramref name="source"/> to <paramref name="destination"/> through a temporary file
    /// renamed over it, so that a copy cut short (a crash, a full disk) never replaces the destination.
    /// </summary>
    private static void CopyWholeLines(string source, string destination)
    {
        var temp = destination + ".partial";
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize))
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize, FileOptions.SequentialScan);
            var buffer = new byte[BufferSize];
            long copied = 0;
            long wholeLines = 0;
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                output.Write(chunk);
                if (chunk.LastIndexOf((byte)'\n') is var newline and >= 0)
                {
                    wholeLines = copied + newline + 1;
                }

                copied += read;
            }

            output.SetLength(wholeLines);
        }

        File.Move(temp, destination, overwrite: true);
    }

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
