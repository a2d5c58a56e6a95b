using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LocalBatch.Cli;

/// <summary>
/// Puts a batch's result file at the path the user asked for as a file of the user's own: never a link to the store's
/// file (what the user does to it — empties it, edits it, appends to it — never reaches the store), written through a
/// temporary file renamed over the destination, so that a crash, a full disk or a Ctrl+C never leaves a torn file there.
/// The copy is made by the file system where it can: a clone sharing the blocks until either file changes (FICLONE, on
/// btrfs or XFS), else a copy inside the kernel (<c>copy_file_range</c>), else read and written here. It holds the store
/// file's whole lines only (a line cut by a full disk is cut off); an interrupted copy is abandoned: its temporary file
/// is removed and the destination stays as it was.
/// </summary>
internal static partial class ResultFilePublisher
{
    private const int BufferSize = 64 * 1024;

    /// <summary>How much <c>copy_file_range</c> copies a call: between calls a Ctrl+C is seen.</summary>
    private const int KernelChunk = 8 * 1024 * 1024;

    /// <summary>FICLONE: <c>_IOW(0x94, 9, int)</c>.</summary>
    private const uint Ficlone = 0x40049409;

    // The errors of copy_file_range that mean "not here" (the copy is then made by the tool), as Linux numbers them.
    private const int Eperm = 1;
    private const int Ebadf = 9;
    private const int Exdev = 18;
    private const int Einval = 22;
    private const int Enosys = 38;
    private const int Eopnotsupp = 95;

    /// <summary>Writes the whole lines of <paramref name="storePath"/> at <paramref name="destination"/> (an empty file when there is none).</summary>
    /// <returns>How the bytes were copied.</returns>
    /// <exception cref="OperationCanceledException">The copy was interrupted; the destination stays as it was.</exception>
    public static PublishMethod Publish(string storePath, string destination, PublishOptions options, CancellationToken cancellationToken)
    {
        if (string.Equals(Path.GetFullPath(storePath), Path.GetFullPath(destination), StringComparison.Ordinal))
        {
            return PublishMethod.None;
        }

        var method = PublishMethod.None;
        WriteThroughTemporaryFile(destination, output =>
        {
            if (File.Exists(storePath))
            {
                method = CopyWholeLines(storePath, output, options, cancellationToken);
            }
        });
        return method;
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

    /// <summary>Copies the whole lines of <paramref name="source"/> to the empty <paramref name="output"/>, by the fastest way the file systems allow.</summary>
    private static PublishMethod CopyWholeLines(string source, FileStream output, PublishOptions options, CancellationToken cancellationToken)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize, FileOptions.SequentialScan);
        var length = WholeLinesLength(input.SafeFileHandle, input.Length);
        if (length == 0)
        {
            return PublishMethod.None;
        }

        if (options.AllowClone && OperatingSystem.IsLinux())
        {
            if (TryClone(input.SafeFileHandle, output.SafeFileHandle))
            {
                output.SetLength(length);
                return PublishMethod.Clone;
            }

            if (TryKernelCopy(input.SafeFileHandle, output, length, options, cancellationToken))
            {
                return PublishMethod.KernelCopy;
            }

            output.SetLength(0); // a kernel copy that failed part way: copied again here from the start
        }

        var buffer = new byte[BufferSize];
        long copied = 0;
        while (copied < length)
        {
            options.BeforeChunk?.Invoke(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, length - copied));
            if (read == 0)
            {
                throw new IOException($"{source} became shorter while it was copied.");
            }

            output.Write(buffer, 0, read);
            copied += read;
        }

        return PublishMethod.Copy;
    }

    /// <summary>Where the file's last whole line ends: its length up to and with its last newline (0 when it has none).</summary>
    private static long WholeLinesLength(SafeFileHandle file, long length)
    {
        var buffer = new byte[BufferSize];
        var end = length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            var count = RandomAccess.Read(file, buffer.AsSpan(0, (int)(end - start)), start);
            var newline = buffer.AsSpan(0, count).LastIndexOf((byte)'\n');
            if (newline >= 0)
            {
                return start + newline + 1;
            }

            end = start;
        }

        return 0;
    }

    /// <summary>Makes <paramref name="output"/> a clone of <paramref name="input"/> (FICLONE): <see langword="false"/> where the file system cannot.</summary>
    private static bool TryClone(SafeFileHandle input, SafeFileHandle output)
    {
        try
        {
            return WithDescriptors(input, output, static (inFd, outFd) => Ioctl(outFd, Ficlone, inFd) == 0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Copies the first <paramref name="length"/> bytes inside the kernel (<c>copy_file_range</c>, which also clones
    /// where the file system can), a chunk at a time; <see langword="false"/> where the kernel cannot (another file
    /// system on an older kernel, no such call), for the copy to be made here.
    /// </summary>
    /// <exception cref="IOException">The copy failed for want of room or another file error.</exception>
    /// <exception cref="OperationCanceledException">Interrupted between two chunks.</exception>
    private static bool TryKernelCopy(SafeFileHandle input, FileStream output, long length, PublishOptions options, CancellationToken cancellationToken)
    {
        long inOffset = 0;
        long outOffset = 0;
        while (inOffset < length)
        {
            options.BeforeChunk?.Invoke(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = (nuint)Math.Min(KernelChunk, length - inOffset);
            nint copied;
            try
            {
                copied = WithDescriptors(input, output.SafeFileHandle, (inFd, outFd) => CopyFileRange(inFd, ref inOffset, outFd, ref outOffset, chunk, 0));
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }

            if (copied == 0)
            {
                return false; // the source ended early (a file system that reports no data): copied here instead
            }

            if (copied < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is Exdev or Einval or Enosys or Eopnotsupp or Ebadf or Eperm)
                {
                    return false;
                }

                throw new IOException($"{Marshal.GetPInvokeErrorMessage(errno)} : '{output.Name}'");
            }
        }

        return true;
    }

    /// <summary>Runs <paramref name="call"/> with the two handles' descriptors, the handles kept open meanwhile.</summary>
    private static T WithDescriptors<T>(SafeFileHandle input, SafeFileHandle output, Func<int, int, T> call)
    {
        var addedInput = false;
        var addedOutput = false;
        try
        {
            input.DangerousAddRef(ref addedInput);
            output.DangerousAddRef(ref addedOutput);
            return call((int)input.DangerousGetHandle(), (int)output.DangerousGetHandle());
        }
        finally
        {
            if (addedOutput)
            {
                output.DangerousRelease();
            }

            if (addedInput)
            {
                input.DangerousRelease();
            }
        }
    }

    private static string TemporaryPath(string destination) => destination + ".partial";

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, int sourceFd);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(int inFd, ref long inOffset, int outFd, ref long outOffset, nuint length, uint flags);
}
