namespace LocalBatch.Cli;

/// <summary>How <see cref="ResultFilePublisher"/> puts result files in place; tests force copies and watch them.</summary>
internal sealed record PublishOptions
{
    /// <summary>Gets the options the tool runs with: hard links where the file system allows.</summary>
    public static PublishOptions Default { get; } = new();

    /// <summary>Gets a value indicating whether a hard link may be made instead of a copy.</summary>
    public bool AllowLinks { get; init; } = true;

    /// <summary>Gets an action run before each chunk of a copy is written, with the copy's token (a test seam).</summary>
    public Action<CancellationToken>? BeforeChunk { get; init; }
}
