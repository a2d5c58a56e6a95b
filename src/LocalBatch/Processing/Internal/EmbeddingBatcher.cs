using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// Embeds a list of texts in as few calls as the server allows: chunks of at most N inputs, sent concurrently
/// under the batch bound, split in halves when the server refuses a chunk under <see cref="EmbeddingSplit"/>'s rule, merged
/// back in input order; a single input still refused fails the whole call, naming its index.
/// </summary>
internal sealed class EmbeddingBatcher(LocalGatewayClient client, EmbeddingOptions options, ILogger logger)
{
    public async Task<EmbeddingResponse> EmbedAsync(IReadOnlyList<string> inputs, int chunkSize, int concurrency, CancellationToken cancellationToken)
    {
        if (inputs.Count == 0)
        {
            // llama.cpp answers an empty input with a 500; nothing to embed is an empty answer.
            return new EmbeddingResponse { Object = "list", Data = [], Usage = new Usage() };
        }

        var vectors = new EmbeddingData[inputs.Count];
        var usage = new UsageTotals();
        string? model = null;
        using var slots = new BatchSlots(concurrency);
        var chunks = new List<Task>();
        for (var start = 0; start < inputs.Count; start += chunkSize)
        {
            chunks.Add(RunChunkAsync(start, Math.Min(chunkSize, inputs.Count - start)));
        }

        await Task.WhenAll(chunks).ConfigureAwait(false);
        return new EmbeddingResponse
        {
            Object = "list",
            Model = model,
            Data = vectors,
            Usage = usage.ToUsage(),
        };

        async Task RunChunkAsync(int start, int count)
        {
            using var slot = await slots.AcquireAsync(cancellationToken).ConfigureAwait(false);
            await EmbedRangeAsync(start, count).ConfigureAwait(false);
        }

        async Task EmbedRangeAsync(int start, int count)
        {
            await foreach (var (first, _, refusal) in EmbeddingSplit.SendAsync(start, count, SendRangeAsync, logger, cancellationToken).ConfigureAwait(false))
            {
                if (refusal is not null)
                {
                    // Only refusals under the rule come back as values, and such a refusal stands only on a single input.
                    throw LocalGatewayException.ForEmbeddingInput(first, refusal);
                }
            }
        }

        async Task<EmbeddingSplit.Reply<LocalGatewayException?>> SendRangeAsync(int start, int count, CancellationToken token)
        {
            var request = new EmbeddingRequest
            {
                Model = options.Model,
                EncodingFormat = options.EncodingFormat,
                AdditionalProperties = options.AdditionalProperties,
                Input = new ListSegment<string>(inputs, start, count),
            };

            EmbeddingResponse response;
            try
            {
                response = await client.CreateEmbeddingsAsync(request, token).ConfigureAwait(false);
            }
            catch (LocalGatewayException ex) when (EmbeddingSplit.Applies(ex))
            {
                return EmbeddingSplit.Refused(ex);
            }

            if (response.Data.Count != count)
            {
                throw LocalGatewayException.InvalidResponse("/v1/embeddings", 200, new InvalidOperationException(
                    $"The server returned {response.Data.Count} vectors for {count} inputs (inputs {start} to {start + count - 1})."));
            }

            foreach (var item in response.Data)
            {
                if (item.Index < 0 || item.Index >= count || vectors[start + item.Index] is not null)
                {
                    throw LocalGatewayException.InvalidResponse("/v1/embeddings", 200, new InvalidOperationException(
                        $"The server returned a vector with index {item.Index} for a chunk of {count} inputs."));
                }

                vectors[start + item.Index] = item with { Index = start + item.Index };
            }

            usage.Add(response.Usage);
            Interlocked.CompareExchange(ref model, response.Model, null);
            return EmbeddingSplit.Answered<LocalGatewayException?>(null);
        }
    }

    /// <summary>Thread-safe sum of the chunks' token counts.</summary>
    private sealed class UsageTotals
    {
        private long _prompt;
        private long _completion;
        private long _total;

        public void Add(Usage? usage)
        {
            if (usage is null)
            {
                return;
            }

            Interlocked.Add(ref _prompt, usage.PromptTokens);
            Interlocked.Add(ref _completion, usage.CompletionTokens);
            Interlocked.Add(ref _total, usage.TotalTokens);
        }

        public Usage ToUsage() => new()
        {
            PromptTokens = (int)Interlocked.Read(ref _prompt),
            CompletionTokens = (int)Interlocked.Read(ref _completion),
            TotalTokens = (int)Interlocked.Read(ref _total),
        };
    }
}
