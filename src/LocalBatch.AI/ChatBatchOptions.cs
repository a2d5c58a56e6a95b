using System.ComponentModel.DataAnnotations;

namespace LocalBatch;

/// <summary>
/// How a batch over an <c>IChatClient</c> runs (<c>ProcessBatchAsync</c> and <c>StreamBatchAsync</c> of
/// <c>Microsoft.Extensions.AI.ChatClientBatchExtensions</c>): how many conversations are in flight at once.
/// </summary>
/// <remarks>
/// <para>
/// What is sent (model, temperature, response format, tools, …) is the batch's <c>ChatOptions</c>; these options only
/// say how the batch is run. Retries are the chat client's own (the OpenAI client, for one, retries 429 and 5xx).
/// </para>
/// <para>Validated when a batch starts; every problem is reported together in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.</para>
/// </remarks>
public sealed class ChatBatchOptions
{
    /// <summary>Gets or sets how many conversations are sent at once; the others wait for a free slot.</summary>
    /// <value>The default value is 4.</value>
    /// <remarks>
    /// From 1 to <see cref="LocalBatchOptions.MaxConcurrencyLimit"/> (4096). A chat client does not tell how many requests its
    /// server decodes in parallel: for llama-server, set it to the server's <c>-np</c> (its <c>total_slots</c>); for a hosted
    /// service, to what its rate limit allows. Each batch keeps its own bound: two batches running at once on one chat
    /// client may together send twice as many.
    /// </remarks>
    [Range(1, LocalBatchOptions.MaxConcurrencyLimit)]
    public int MaxConcurrency { get; set; } = 4;
}
