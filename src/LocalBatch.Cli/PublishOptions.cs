namespace LocalBatch.Cli;

/// <summary>How <see cref="ResultFilePublisher"/> puts result files in place; tests force plain copies and watch them.</summary>
internal sealed record PublishOptions
{
    /// <summary>Gets the options the tool runs with: clones and kernel copies where the file system allows.</summary>
    public static PublishOptions Default { get; } = new();

    /// <summary>Gets a value indicating whether the file system may clone or copy the file itself (FICLONE, <c>copy_file_range</c>) instead of a copy read and written by the tool.</summary>
    public bool AllowClone { get; init; } = true;

    /// <summary>Gets an action run before each chunk of a copy is written, with the copy's token (a test seam).</summary>
    public Action<CancellationToken>? BeforeChunk { get; init; }
}
