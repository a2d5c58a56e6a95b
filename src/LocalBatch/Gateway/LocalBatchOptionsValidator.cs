using Microsoft.Extensions.Options;

namespace LocalBatch;

/// <summary>Checks a <see cref="LocalBatchOptions"/> and reports every problem at once.</summary>
internal sealed class LocalBatchOptionsValidator : IValidateOptions<LocalBatchOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalBatchOptions options)
    {
        var failures = new List<string>();

        if (options.Endpoint is null)
        {
            failures.Add("LocalBatchOptions.Endpoint is required (for example http://localhost:8080).");
        }
        else if (!options.Endpoint.IsAbsoluteUri || (options.Endpoint.Scheme != Uri.UriSchemeHttp && options.Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"LocalBatchOptions.Endpoint must be an absolute http or https address; got '{options.Endpoint}'.");
        }

        if (options.ApiKey is { } key && (key.Length == 0 || key.Any(char.IsWhiteSpace)))
        {
            failures.Add("LocalBatchOptions.ApiKey must not be empty or contain white space (leave it null for a server without a key).");
        }

        if (options.MaxConcurrency is < 0 or > 4096)
        {
            failures.Add($"LocalBatchOptions.MaxConcurrency must be between 0 (automatic) and 4096; got {options.MaxConcurrency}.");
        }

        if (options.MaxRetryAttempts is < 0 or > 1000)
        {
            failures.Add($"LocalBatchOptions.MaxRetryAttempts must be between 0 and 1000; got {options.MaxRetryAttempts}.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero)
        {
            failures.Add($"LocalBatchOptions.RetryBaseDelay must be positive; got {options.RetryBaseDelay}.");
        }

        if (options.MaxRetryDelay < options.RetryBaseDelay)
        {
            failures.Add($"LocalBatchOptions.MaxRetryDelay ({options.MaxRetryDelay}) must not be shorter than RetryBaseDelay ({options.RetryBaseDelay}).");
        }

        if (options.AttemptTimeout <= TimeSpan.Zero && options.AttemptTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"LocalBatchOptions.AttemptTimeout must be positive (or Timeout.InfiniteTimeSpan); got {options.AttemptTimeout}.");
        }

        if (options.MaxEmbeddingInputsPerRequest < 1)
        {
            failures.Add($"LocalBatchOptions.MaxEmbeddingInputsPerRequest must be at least 1; got {options.MaxEmbeddingInputsPerRequest}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws an <see cref="OptionsValidationException"/> listing every problem, when there is any.</summary>
    public static void ThrowIfInvalid(LocalBatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new LocalBatchOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LocalBatchOptions), result.Failures);
        }
    }
}
