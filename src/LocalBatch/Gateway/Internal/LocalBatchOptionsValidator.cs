using LocalBatch.Internal;
using Microsoft.Extensions.Options;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// Checks a <see cref="LocalBatchOptions"/> and reports every problem at once: its data annotations through the
/// source-generated validator, then the rules an annotation cannot say.
/// </summary>
internal sealed partial class LocalBatchOptionsValidator : IValidateOptions<LocalBatchOptions>
{
    public static LocalBatchOptions ThrowIfInvalid(LocalBatchOptions options) => OptionsValidation.ThrowIfInvalid(new LocalBatchOptionsValidator(), options);

    public ValidateOptionsResult Validate(string? name, LocalBatchOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        builder.AddResult(new Annotations().Validate(name, options));
        if (options.Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            builder.AddError($"LocalBatchOptions.Endpoint must be an absolute http or https address; got '{endpoint}'.");
        }

        if (options.ApiKey is { Length: 0 })
        {
            // The pattern of the annotation lets an empty string through.
            builder.AddError("LocalBatchOptions.ApiKey must not be empty (leave it null for a server without a key).");
        }

        if (options.MaxRetryDelay < options.RetryBaseDelay)
        {
            builder.AddError($"LocalBatchOptions.MaxRetryDelay ({options.MaxRetryDelay}) must not be shorter than RetryBaseDelay ({options.RetryBaseDelay}).");
        }

        if (options.AttemptTimeout <= TimeSpan.Zero && options.AttemptTimeout != Timeout.InfiniteTimeSpan)
        {
            builder.AddError($"LocalBatchOptions.AttemptTimeout must be positive (or Timeout.InfiniteTimeSpan); got {options.AttemptTimeout}.");
        }

        return builder.Build();
    }

    // The generated validator words a [Range] failure its own way ("The field X must be between A and B."): its
    // copy of the attribute ignores ErrorMessage.
    [OptionsValidator]
    internal sealed partial class Annotations : IValidateOptions<LocalBatchOptions>;
}
