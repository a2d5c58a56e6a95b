using LocalBatch.Internal;
using Microsoft.Extensions.Options;

namespace LocalBatch.Processing.Internal;

/// <summary>Checks a <see cref="BatchProcessingOptions{TResult}"/> and reports every problem at once, as the library's other options are checked.</summary>
[OptionsValidator]
internal sealed partial class BatchProcessingOptionsValidator<TResult> : IValidateOptions<BatchProcessingOptions<TResult>>
    where TResult : class
{
    /// <summary>Returns the options (the defaults when <see langword="null"/>), or throws listing every problem.</summary>
    /// <exception cref="OptionsValidationException">The options are not valid.</exception>
    public static BatchProcessingOptions<TResult> ThrowIfInvalid(BatchProcessingOptions<TResult>? options) =>
        OptionsValidation.ThrowIfInvalid(new BatchProcessingOptionsValidator<TResult>(), options ?? new BatchProcessingOptions<TResult>());
}
