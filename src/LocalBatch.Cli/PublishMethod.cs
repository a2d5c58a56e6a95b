namespace LocalBatch.Cli;

/// <summary>How <see cref="ResultFilePublisher"/> copied a result file to the user's path.</summary>
internal enum PublishMethod
{
    /// <summary>Nothing to copy: the store has no whole line yet (the destination is an empty file).</summary>
    None,

    /// <summary>A clone (FICLONE): the file system shares the blocks until either file changes.</summary>
    Clone,

    /// <summary>A copy made inside the kernel (<c>copy_file_range</c>, which clones too where the file system can).</summary>
    KernelCopy,

    /// <summary>A copy read and written by the tool (another operating system, or a file system that can do neither).</summary>
    Copy,
}
