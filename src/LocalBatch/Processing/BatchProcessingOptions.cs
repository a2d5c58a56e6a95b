using System.ComponentModel.DataAnnotations;

namespace LocalBatch;

/// <summary>
/// How <see cref="BatchProcessing"/> runs an operation of yours over many inputs: how many at once, how to read each
/// answer's token usage, and which answers are failures after all.
/// </summary>
/// <typeparam name="TResult">The operation's answer type.</typeparam>
/// <remarks>
/// <para>
/// Read once when a batch starts (changing the options later does not affect it) and validated then; every problem is
/// reported together in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.
/// </para>
/// <para>One instance may serve any number of batches, one after another or at once.</para>
/// </remarks>
public sealed class BatchProcessingOptions<TResult>
    where TResult : class
{
    /// <summary>Gets or sets how many inputs are in flight at once; the others wait for one of them to finish.</summary>
    /// <value>
    /// The default value is 4. From 1 to
    /// <see cref="LocalBatchOptions.MaxConcurrencyLimit"/> (4096). For a llama-server, the server's <c>-np</c> (its
    /// <c>total_slots</c>); for a hosted service, what its rate limit allows.
    /// </value>
    /// <remarks>Each batch keeps its own bound: two batches running at once may together have twice as many in flight.</remarks>
    [Range(1, LocalBatchOptions.MaxConcurrencyLimit)]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Gets or sets how to read the token usage of a successful answer, added up in <see cref="BatchProgress"/>.</summary>
    /// <value>
    /// The default is <see langword="null"/>: no tokens are counted (<see cref="BatchProgress.PromptTokens"/> and
    /// <see cref="BatchProgress.CompletionTokens"/> stay 0). It may return <see langword="null"/> for an answer without usage.
    /// </value>
    /// <remarks>Called once for each successful item, from the thread that finished it; one that throws fails that item (its error is the exception), never the batch.</remarks>
    public Func<TResult, Usage?>? UsageSelector { get; set; }

    /// <summary>Gets or sets what makes an answer a failure after all (an answer that does not parse, a refusal, …).</summary>
    /// <value>
    /// The default is <see langword="null"/>: every answer the operation returns is a success. When it returns an error
    /// for an answer, the item fails with that <see cref="BatchItemResult{T}.Error"/> and its
    /// <see cref="BatchItemResult{T}.Value"/> still holds the answer; when it throws, the exception is the item's error.
    /// </value>
    public Func<TResult, BatchItemError?>? ErrorSelector { get; set; }

    /// <summary>Gets or sets the clock that measures each item's <see cref="BatchItemResult{T}.Elapsed"/> and the progress's times.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>. Not <see langword="null"/>.</value>
    [Required]
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
