using Microsoft.Extensions.Options;

namespace LocalBatch;

/// <summary>Checks a <see cref="RequestQueueOptions"/> and reports every problem at once.</summary>
internal sealed class RequestQueueOptionsValidator : IValidateOptions<RequestQueueOptions>
{
    public ValidateOptionsResult Validate(string? name, RequestQueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (options.MaxWorkers is < 0 or > 4096)
        {
            failures.Add($"RequestQueueOptions.MaxWorkers must be between 0 (automatic) and 4096; got {options.MaxWorkers}.");
        }

        if (options.Capacity < 1)
        {
            failures.Add($"RequestQueueOptions.Capacity must be at least 1; got {options.Capacity}.");
        }

        if (options.DrainTimeout < TimeSpan.Zero && options.DrainTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"RequestQueueOptions.DrainTimeout must be zero or positive (or Timeout.InfiniteTimeSpan to wait for everything); got {options.DrainTimeout}.");
        }

        if (options.MaxRetainedResults is < 1)
        {
            failures.Add($"RequestQueueOptions.MaxRetainedResults must be at least 1 when set (null keeps every result until read); got {options.MaxRetainedResults}.");
        }

        if (options.ResultRetention is { } retention && retention <= TimeSpan.Zero)
        {
            failures.Add($"RequestQueueOptions.ResultRetention must be positive when set (null keeps every result until read); got {retention}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws an <see cref="OptionsValidationException"/> listing every problem, when there is any.</summary>
    public static void ThrowIfInvalid(RequestQueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new RequestQueueOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(RequestQueueOptions), result.Failures);
        }
    }
}
