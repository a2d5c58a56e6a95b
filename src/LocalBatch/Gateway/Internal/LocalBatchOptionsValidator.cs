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
        if (options.Endpoint is { } endpoint && !IsHttpAddress(endpoint))
        {
            builder.AddError($"LocalBatchOptions.Endpoint must be an absolute http or https address; got '{endpoint}'.");
        }

        if (options.Endpoints is null)
        {
            builder.AddError("LocalBatchOptions.Endpoints must not be null (leave it empty for the one server at Endpoint).");
        }
        else
        {
            for (var i = 0; i < options.Endpoints.Count; i++)
            {
                if (options.Endpoints[i] is not { } address || !IsHttpAddress(address))
                {
                    builder.AddError($"LocalBatchOptions.Endpoints[{i}] must be an absolute http or https address; got '{options.Endpoints[i]}'.");
                }
                else if (options.Endpoints.Take(i).Any(earlier => earlier is not null && Uri.Compare(earlier, address, UriComponents.HttpRequestUrl, UriFormat.SafeUnescaped, StringComparison.OrdinalIgnoreCase) == 0))
                {
                    builder.AddError($"LocalBatchOptions.Endpoints[{i}] repeats '{address}'.");
                }
            }
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

    private static bool IsHttpAddress(Uri address) =>
        address.IsAbsoluteUri && (address.Scheme == Uri.UriSchemeHttp || address.Scheme == Uri.UriSchemeHttps);

    // The generated validator words a [Range] failure its own way ("The field X must be between A and B."): its
    // copy of the attribute ignores ErrorMessage.
    [OptionsValidator]
    internal sealed partial class Annotations : IValidateOptions<LocalBatchOptions>;
}
