using System.Runtime.ExceptionServices;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// Embeds a list of texts in as few calls as the server allows: chunks of at most N inputs, sent on the engine's lanes
/// (as many as the batch's bound), split in halves when the server refuses a chunk under <see cref="EmbeddingSplit"/>'s
/// rule, merged back in input order; a single input still refused fails the whole call, naming its index.
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
        // Chunks run on the engine's lanes, a list of chunk numbers; a chunk's failure is kept, and the first chunk's
        // that failed is thrown once all have ended, as one call for the whole input would have failed.
        var chunks = (inputs.Count + chunkSize - 1) / chunkSize;
        var failures = new ExceptionDispatchInfo?[chunks];
        var source = new ListRunSource(chunks);
        await LaneEngine.RunAsync(source, Math.Min(concurrency, chunks), (chunk, _, _) => RunChunkAsync(chunk), cancellationToken).ConfigureAwait(false);
        Array.Find(failures, static failure => failure is not null)?.Throw();
        return new EmbeddingResponse
        {
            Object = "list",
            Model = model,
            Data = vectors,
            Usage = usage.ToUsage(),
        };

        async Task RunChunkAsync(int chunk)
        {
            var start = chunk * chunkSize;
            try
            {
                await EmbedRangeAsync(start, Math.Min(chunkSize, inputs.Count - start)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures[chunk] = ExceptionDispatchInfo.Capture(ex);
            }
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
