using LocalBatch;
using LocalBatch.AI.Internal;

namespace Microsoft.Extensions.AI;

/// <summary>Microsoft.Extensions.AI views of a <see cref="LocalBatchProcessor"/>.</summary>
public static class LocalBatchProcessorExtensions
{
    /// <summary>
    /// Returns an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> whose <c>GenerateAsync</c> goes through
    /// <see cref="LocalBatchProcessor.ProcessBatchEmbeddingsAsync"/>: one <c>/v1/embeddings</c> call with an array input,
    /// chunked and sent concurrently past <see cref="LocalBatchOptions.MaxEmbeddingInputsPerRequest"/>, with the client's
    /// retries. Vector stores and RAG pipelines then batch their embeddings through LocalBatch without knowing it.
    /// </summary>
    /// <param name="processor">The processor.</param>
    /// <returns>The generator; disposing it leaves the processor open.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="processor"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// Its <see cref="EmbeddingGeneratorMetadata"/> names the provider <c>llama.cpp</c>, the server's address and
    /// <see cref="LocalBatchOptions.DefaultModel"/>. <c>GetService</c> also gives the processor and its
    /// <see cref="LocalGatewayClient"/>.
    /// </para>
    /// <para>
    /// Of <see cref="EmbeddingGenerationOptions"/>: <see cref="EmbeddingGenerationOptions.ModelId"/> is the request's
    /// <c>model</c>; <see cref="EmbeddingGenerationOptions.Dimensions"/> is sent as <c>dimensions</c> for servers that take
    /// it, and the answer must have that many (llama-server ignores the field and answers the model's own size: a
    /// different one throws <see cref="InvalidOperationException"/> rather than hand a vector store vectors it did not ask
    /// for); <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> are sent as extra JSON fields; and
    /// <see cref="EmbeddingGenerationOptions.RawRepresentationFactory"/> may return a LocalBatch
    /// <see cref="EmbeddingOptions"/> (such as <c>EncodingFormat = "base64"</c>) that the rest applies over. Each answer's
    /// <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/> has its input and total tokens, summed over the chunks.
    /// </para>
    /// <para>
    /// A failure fails the call with the processor's <see cref="LocalGatewayException"/> (after its retries); a single text
    /// the server refuses even alone fails with its index in the message and in <see cref="LocalGatewayException.InputIndex"/>.
    /// </para>
    /// </remarks>
    public static IEmbeddingGenerator<string, Embedding<float>> AsEmbeddingGenerator(this LocalBatchProcessor processor)
    {
        ArgumentNullException.ThrowIfNull(processor);
        return new LocalBatchEmbeddingGenerator(processor);
    }
}
