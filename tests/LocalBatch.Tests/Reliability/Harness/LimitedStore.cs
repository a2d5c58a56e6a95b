using System.Diagnostics;
using System.Globalization;

namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>
/// A store directory whose writes fail past a size. Where this process may mount file systems (root), it is a small
/// tmpfs mounted there: a real full disk (ENOSPC). Elsewhere, or when <c>LOCALBATCH_TESTS_NO_TMPFS=1</c>, the child
/// process gets a file-size limit instead (<c>ulimit -f</c>, with SIGXFSZ ignored, so writes past it fail with EFBIG):
/// each file, rather than the disk, fills up.
/// </summary>
internal sealed class LimitedStore : IDisposable
{
    private LimitedStore(string directory, bool isTmpfs, int kilobytes)
    {
        Directory = directory;
        IsTmpfs = isTmpfs;
        Kilobytes = kilobytes;
    }

    public string Directory { get; }

    /// <summary>Gets a value indicating whether the directory is a tmpfs of <see cref="Kilobytes"/> (else each file is limited to it).</summary>
    public bool IsTmpfs { get; }

    public int Kilobytes { get; private set; }

    /// <summary>Gets the file-size limit to run the child with, or <see langword="null"/> when the tmpfs limits it.</summary>
    public int? FileSizeLimitKilobytes => IsTmpfs ? null : Kilobytes;

    /// <summary>Gets the error text the CLI shows when the limit is hit.</summary>
    public string FullMessage => IsTmpfs ? "No space left on device" : "would pass the largest file"; // EFBIG, as the store words it

    /// <param name="directory">The store directory.</param>
    /// <param name="kilobytes">Its size (or each file's).</param>
    /// <param name="fileSizeLimit">Whether to limit each file even where a tmpfs could be mounted (so that both ways run).</param>
    public static LimitedStore Create(string directory, int kilobytes, bool fileSizeLimit = false)
    {
        System.IO.Directory.CreateDirectory(directory);
        var tmpfs = !fileSizeLimit
            && Environment.GetEnvironmentVariable("LOCALBATCH_TESTS_NO_TMPFS") != "1"
            && OperatingSystem.IsLinux()
            && Run("mount", "-t", "tmpfs", "-o", Size(kilobytes), "tmpfs", directory);
        return new LimitedStore(directory, tmpfs, kilobytes);
    }

    /// <summary>Gives the store another size (a tmpfs keeps its files).</summary>
    public void Resize(int kilobytes)
    {
        if (IsTmpfs && !Run("mount", "-o", "remount," + Size(kilobytes), Directory))
        {
            throw new InvalidOperationException($"Could not resize the tmpfs at {Directory}.");
        }

        Kilobytes = kilobytes;
    }

    public void Dispose()
    {
        if (IsTmpfs)
        {
            Run("umount", "-l", Directory);
        }
    }

    private static string Size(int kilobytes) => "size=" + kilobytes.ToString(CultureInfo.InvariantCulture) + "k";

    private static bool Run(string command, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no such command
        }
    }
}
