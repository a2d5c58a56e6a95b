using Microsoft.Extensions.AI;

namespace LocalBatch.AI.Internal;

/// <summary>
/// How a batch over a chat client runs on <see cref="BatchProcessing"/>, LocalBatch's public fan-out: the batch's own
/// bound (a chat client tells nothing of its server's slots), and the tokens of <see cref="ChatResponse.Usage"/> for the
/// progress. Only the call for one conversation differs between the adapters.
/// </summary>
internal static class ChatBatchSettings
{
    /// <param name="batchOptions">The batch's bound; the defaults when <see langword="null"/>.</param>
    /// <param name="failureOf">Tells whether an answer is a failure after all (a typed answer that does not parse).</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The batch options are not valid.</exception>
    public static BatchProcessingOptions<TResponse> ToProcessingOptions<TResponse>(ChatBatchOptions? batchOptions, Func<TResponse, BatchItemError?>? failureOf = null)
        where TResponse : ChatResponse => new()
    {
        MaxConcurrency = ChatBatchOptionsValidator.ThrowIfInvalid(batchOptions).MaxConcurrency,
        UsageSelector = static response => ToUsage(response.Usage),
        ErrorSelector = failureOf,
    };

    /// <summary>The token counts the progress adds up, from Microsoft.Extensions.AI's usage.</summary>
    internal static Usage? ToUsage(UsageDetails? usage) => usage is null ? null : new Usage
    {
        PromptTokens = (int)Math.Min(usage.InputTokenCount ?? 0, int.MaxValue),
        CompletionTokens = (int)Math.Min(usage.OutputTokenCount ?? 0, int.MaxValue),
        TotalTokens = (int)Math.Min(usage.TotalTokenCount ?? 0, int.MaxValue),
    };
}
