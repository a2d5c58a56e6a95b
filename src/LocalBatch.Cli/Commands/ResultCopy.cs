namespace LocalBatch.Cli.Commands;

/// <summary>Copies a batch's result file from the store to where the user asked for it.</summary>
internal static class ResultCopy
{
    private const int BufferSize = 64 * 1024;

    /// <summary>
    /// Copies the whole lines of <paramref name="source"/> (none when it does not exist) to <paramref name="destination"/>,
    /// through a temporary file renamed over it: a line the store holds only part of (a run stopped mid-write, by a
    /// full disk say) is left out, and a copy cut short (a crash, a full disk) never replaces the destination.
    /// </summary>
    /// <returns>The number of lines copied.</returns>
    public static long CopyWholeLines(string source, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temp = destination + ".partial";
        long lines = 0;
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize))
        {
            if (File.Exists(source))
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
                    lines += chunk.Count((byte)'\n');
                    if (chunk.LastIndexOf((byte)'\n') is var newline and >= 0)
                    {
                        wholeLines = copied + newline + 1;
                    }

                    copied += read;
                }

                output.SetLength(wholeLines);
            }
        }

        File.Move(temp, destination, overwrite: true);
        return lines;
    }
}
