using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

namespace LocalBatch.Batches;

/// <summary>Settings of a <see cref="BatchJobManager"/>.</summary>
public sealed class BatchJobManagerOptions
{
    /// <summary>Gets or sets the directory holding every batch's state, input, output and error files.</summary>
    /// <value>The default is <c>.localbatch</c> in the current directory.</value>
    [Required(ErrorMessage = "{0} is required.")]
    public string StoreDirectory { get; set; } = ".localbatch";

    /// <summary>Gets or sets the most requests (non-blank lines) one input file may have.</summary>
    /// <value>The default is 50,000, OpenAI's limit (<c>localbatch run</c> sets no limit).</value>
    [Range(1, int.MaxValue)]
    public int MaxLinesPerBatch { get; set; } = 50_000;

    /// <summary>The default <see cref="MaxLineBytes"/>: 4 MiB.</summary>
    public const int DefaultMaxLineBytes = 4 * 1024 * 1024;

    /// <summary>The largest <see cref="MaxLineBytes"/> allowed: 1 GiB.</summary>
    public const int MaxLineBytesLimit = 1024 * 1024 * 1024;

    /// <summary>
    /// Gets or sets the longest line, in bytes (UTF-8, without its line end), that an input file may have. A longer
    /// line fails validation with <c>line_too_large</c> and is never held in memory whole, so this bounds what one
    /// line costs: while the input is validated, and for each request in flight while the batch runs.
    /// </summary>
    /// <value>The default is <see cref="DefaultMaxLineBytes"/> (4 MiB); from 1 to <see cref="MaxLineBytesLimit"/>.</value>
    [Range(1, MaxLineBytesLimit)]
    public int MaxLineBytes { get; set; } = DefaultMaxLineBytes;

    /// <summary>Gets or sets a value indicating whether unfinished batches found in the store resume when the manager starts.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool ResumeOnStart { get; set; } = true;

    /// <summary>The longest <see cref="CompletionWindowDuration"/> short of none: 30 days.</summary>
    public static readonly TimeSpan MaxCompletionWindowDuration = TimeSpan.FromDays(30);

    /// <summary>
    /// Gets or sets how long a completion window of <c>24h</c> really lasts before the batch expires, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for batches that never expire (<c>expires_at</c> is then null), as
    /// <c>localbatch run</c> creates them so that a run resumed days later still finishes.
    /// </summary>
    /// <value>The default is 24 hours; at most <see cref="MaxCompletionWindowDuration"/>.</value>
    public TimeSpan CompletionWindowDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Gets or sets how often <see cref="BatchJobManager.WaitAsync(string, IProgress{BatchProgress}?, CancellationToken)"/>
    /// reports progress while a batch runs, and how often a batch run by another process is looked at.
    /// </summary>
    /// <value>The default is 1 second.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Read by the source-generated options validator, which checks the range with its own trim-safe copy of the attribute.")]
    [Range(typeof(TimeSpan), "00:00:00.001", "30.00:00:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);
}
