using System.Text.Json;
using Microsoft.Extensions.AI;

namespace LocalBatch.AI.Internal;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over <see cref="LocalBatchProcessor.ProcessBatchEmbeddingsAsync"/>:
/// one call with an array input, chunked and sent concurrently past the per-call limit, with the client's retries.
/// </summary>
internal sealed class LocalBatchEmbeddingGenerator(LocalBatchProcessor processor) : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider named in the metadata: the server the processor is made for.</summary>
    public const string ProviderName = "llama.cpp";

    private readonly EmbeddingGeneratorMetadata _metadata = new(ProviderName, processor.Client.Endpoint, processor.Client.DefaultModel);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } requested)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requested, 1, "options.Dimensions");
        }

        var response = await processor.ProcessBatchEmbeddingsAsync(values, ToEmbeddingOptions(options), cancellationToken).ConfigureAwait(false);
        var modelId = response.Model ?? options?.ModelId ?? _metadata.DefaultModelId;
        var embeddings = new List<Embedding<float>>(response.Data.Count);
        foreach (var data in response.Data)
        {
            if (options?.Dimensions is { } dimensions && data.Embedding.Length != dimensions)
            {
                throw new InvalidOperationException(
                    $"{dimensions} dimensions were asked for, and the server answered vectors of {data.Embedding.Length}. llama-server ignores " +
                    "'dimensions' and answers the model's own size: leave EmbeddingGenerationOptions.Dimensions unset, or choose a model of that size.");
            }

            embeddings.Add(new Embedding<float>(data.Embedding) { ModelId = modelId });
        }

        return new GeneratedEmbeddings<Embedding<float>>(embeddings) { Usage = ToUsageDetails(response.Usage) };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(processor) ? processor
            : serviceType.IsInstanceOfType(processor.Client) ? processor.Client
            : null;
    }

    /// <summary>Does nothing: the processor belongs to the caller, who disposes it.</summary>
    public void Dispose()
    {
    }

    /// <summary>
    /// The processor's settings for this call: a LocalBatch <see cref="EmbeddingOptions"/> from
    /// <see cref="EmbeddingGenerationOptions.RawRepresentationFactory"/> if any, then the model, <c>dimensions</c> and
    /// additional properties of <paramref name="options"/> over it.
    /// </summary>
    private EmbeddingOptions? ToEmbeddingOptions(EmbeddingGenerationOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        var raw = options.RawRepresentationFactory?.Invoke(this) as EmbeddingOptions ?? new EmbeddingOptions();
        Dictionary<string, JsonElement>? fields = null;
        if (options.AdditionalProperties is { Count: > 0 } additional)
        {
            fields = new Dictionary<string, JsonElement>(raw.AdditionalProperties ?? new Dictionary<string, JsonElement>(), StringComparer.Ordinal);
            foreach (var (name, value) in additional)
            {
                fields[name] = ToJson(value);
            }
        }

        if (options.Dimensions is { } dimensions)
        {
            fields ??= new Dictionary<string, JsonElement>(raw.AdditionalProperties ?? new Dictionary<string, JsonElement>(), StringComparer.Ordinal);
            fields["dimensions"] = ToJson(dimensions);
        }

        return raw with
        {
            Model = options.ModelId ?? raw.Model,
            AdditionalProperties = fields ?? raw.AdditionalProperties,
        };
    }

    /// <summary>A value as JSON through Microsoft.Extensions.AI's own (source-generated, then reflection if allowed) options.</summary>
    private static JsonElement ToJson(object? value) =>
        JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value?.GetType() ?? typeof(object)));

    private static UsageDetails? ToUsageDetails(Usage? usage) => usage is null ? null : new UsageDetails
    {
        InputTokenCount = usage.PromptTokens,
        TotalTokenCount = usage.TotalTokens,
    };
}
