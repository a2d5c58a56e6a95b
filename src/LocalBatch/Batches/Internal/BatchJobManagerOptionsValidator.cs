using LocalBatch.Internal;
using Microsoft.Extensions.Options;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Checks a <see cref="BatchJobManagerOptions"/> and reports every problem at once: its data annotations through the
/// source-generated validator, then the rules an annotation cannot say.
/// </summary>
internal sealed partial class BatchJobManagerOptionsValidator : IValidateOptions<BatchJobManagerOptions>
{
    public static BatchJobManagerOptions ThrowIfInvalid(BatchJobManagerOptions options) => OptionsValidation.ThrowIfInvalid(new BatchJobManagerOptionsValidator(), options);

    public ValidateOptionsResult Validate(string? name, BatchJobManagerOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        builder.AddResult(new Annotations().Validate(name, options));
        var window = options.CompletionWindowDuration;
        if (window != Timeout.InfiniteTimeSpan && (window <= TimeSpan.Zero || window > BatchJobManagerOptions.MaxCompletionWindowDuration))
        {
            builder.AddError($"BatchJobManagerOptions.CompletionWindowDuration must be positive and at most {BatchJobManagerOptions.MaxCompletionWindowDuration.TotalDays} days, or Timeout.InfiniteTimeSpan for no expiry; got {window}.");
        }

        return builder.Build();
    }

    // The generated validator words a [Range] failure its own way ("The field X must be between A and B."): its
    // copy of the attribute ignores ErrorMessage.
    [OptionsValidator]
    internal sealed partial class Annotations : IValidateOptions<BatchJobManagerOptions>;
}
