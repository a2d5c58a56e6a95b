using LocalBatch.Internal;
using Microsoft.Extensions.Options;

namespace LocalBatch.Queue.Internal;

/// <summary>
/// Checks a <see cref="RequestQueueOptions"/> and reports every problem at once: its data annotations through the
/// source-generated validator, then the rules an annotation cannot say.
/// </summary>
internal sealed partial class RequestQueueOptionsValidator : IValidateOptions<RequestQueueOptions>
{
    public static RequestQueueOptions ThrowIfInvalid(RequestQueueOptions options) => OptionsValidation.ThrowIfInvalid(new RequestQueueOptionsValidator(), options);

    public ValidateOptionsResult Validate(string? name, RequestQueueOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        builder.AddResult(new Annotations().Validate(name, options));
        if (options.DrainTimeout < TimeSpan.Zero && options.DrainTimeout != Timeout.InfiniteTimeSpan)
        {
            builder.AddError($"RequestQueueOptions.DrainTimeout must be zero or positive (or Timeout.InfiniteTimeSpan to wait for everything); got {options.DrainTimeout}.");
        }

        return builder.Build();
    }

    // The generated validator words a [Range] failure its own way ("The field X must be between A and B."): its
    // copy of the attribute ignores ErrorMessage.
    [OptionsValidator]
    internal sealed partial class Annotations : IValidateOptions<RequestQueueOptions>;
}
