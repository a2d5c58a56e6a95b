using LocalBatch.Internal;
using Microsoft.Extensions.Options;

namespace LocalBatch.AI.Internal;

/// <summary>Checks a <see cref="ChatBatchOptions"/> and reports every problem at once, as the library's other options are checked.</summary>
[OptionsValidator]
internal sealed partial class ChatBatchOptionsValidator : IValidateOptions<ChatBatchOptions>
{
    /// <summary>Returns the options (the defaults when <see langword="null"/>), or throws listing every problem.</summary>
    /// <exception cref="OptionsValidationException">The options are not valid.</exception>
    public static ChatBatchOptions ThrowIfInvalid(ChatBatchOptions? options) =>
        OptionsValidation.ThrowIfInvalid(new ChatBatchOptionsValidator(), options ?? new ChatBatchOptions());
}
