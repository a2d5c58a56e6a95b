using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

namespace LocalBatch;

/// <summary>Settings for a <see cref="RequestQueue"/>: how many workers, how many waiting requests, how to shut down, and how long results are kept.</summary>
/// <remarks>
/// Validated when the queue is created (or at host start-up with dependency injection); every problem is reported
/// together in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.
/// </remarks>
public sealed class RequestQueueOptions
{
    /// <summary>The default <see cref="Capacity"/>.</summary>
    public const int DefaultCapacity = 1_000;

    /// <summary>Gets or sets how many workers run requests at once; 0 means automatic.</summary>
    /// <value>
    /// The default is 0: the gateway client's <see cref="LocalBatchOptions.MaxConcurrency"/> when set, else <c>total_slots</c>
    /// from the server's <c>/props</c>, else a concurrency found from its latency (see
    /// <see cref="LocalBatchOptions.UseAdaptiveConcurrency"/>), summed over the servers (the rule of
    /// <see cref="LocalBatchProcessor.GetConcurrencyAsync"/>). The automatic count is read once, in the background: requests
    /// submitted meanwhile wait in the queue. At most 4096.
    /// </value>
    [Range(0, LocalBatchOptions.MaxConcurrencyLimit)]
    public int MaxWorkers { get; set; }

    /// <summary>Gets or sets how many submitted requests may wait for a worker; when that many wait, <c>SubmitAsync</c> waits for room.</summary>
    /// <value>The default is 1,000. At least 1.</value>
    [Range(1, int.MaxValue)]
    public int Capacity { get; set; } = DefaultCapacity;

    /// <summary>Gets or sets how long disposal lets queued and running requests finish before it cancels them.</summary>
    /// <value>
    /// The default is <see cref="Timeout.InfiniteTimeSpan"/>: disposal waits for everything submitted. Requests still
    /// queued or running when the time is up are cancelled and marked <see cref="RequestStatus.Cancelled"/>.
    /// <see cref="TimeSpan.Zero"/> cancels at once.
    /// </value>
    public TimeSpan DrainTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Gets or sets a value indicating whether a finished result stays in the queue after it was read.</summary>
    /// <value>
    /// The default is <see langword="false"/>: the first read of a finished result (by <c>GetResultAsync</c> or
    /// <c>TryGetResult</c>) releases it, and its id may be submitted again. When <see langword="true"/>, set
    /// <see cref="MaxRetainedResults"/> or <see cref="ResultRetention"/> so that a long-running queue does not grow without bound.
    /// </value>
    public bool KeepResultsAfterRead { get; set; }

    /// <summary>Gets or sets the most finished results the queue keeps; beyond it, the oldest are dropped, read or not.</summary>
    /// <value>The default is <see langword="null"/>: no limit (results are kept until read). At least 1 when set.</value>
    [Range(1, int.MaxValue)]
    public int? MaxRetainedResults { get; set; }

    /// <summary>Gets or sets how long a finished result is kept after it finished; older ones are dropped, read or not.</summary>
    /// <value>The default is <see langword="null"/>: no limit (results are kept until read). Positive when set.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Read by the source-generated options validator, which checks the range with its own trim-safe copy of the attribute.")]
    [Range(typeof(TimeSpan), "00:00:00.0000001", "10675199.02:48:05.4775807")]
    public TimeSpan? ResultRetention { get; set; }
}
