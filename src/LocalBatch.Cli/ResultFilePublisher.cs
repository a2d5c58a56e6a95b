using System.Runtime.InteropServices;

namespace LocalBatch.Cli;

/// <summary>
/// Puts a batch's result file at the path the user asked for without writing it twice: a hard link to the store's file
/// where the file system allows (the same disk), a copy elsewhere. A link is always up to date: what a run appends
/// after an interruption is in it at once.
/// </summary>
internal static partial class ResultFilePublisher
{
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
            File.Copy(storePath, destination);
        }
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
