using Microsoft.Extensions.Options;

namespace LocalBatch.Internal;

/// <summary>Runs an options validator outside dependency injection (a constructor taking options directly).</summary>
internal static class OptionsValidation
{
    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every problem, when there is any.</summary>
    public static TOptions ThrowIfInvalid<TOptions>(IValidateOptions<TOptions> validator, TOptions options)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures);
        }

        return options;
    }
}
