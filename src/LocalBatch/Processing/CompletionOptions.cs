using System.Text.Json;

namespace LocalBatch;

/// <summary>Settings applied to every prompt of a completions batch built from plain strings.</summary>
public sealed record CompletionOptions
{
    /// <summary>Gets the model name; <see langword="null"/> uses <see cref="LocalBatchOptions.DefaultModel"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the most tokens to generate per prompt.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Gets the sampling temperature.</summary>
    public double? Temperature { get; init; }

    /// <summary>Gets the nucleus-sampling probability mass.</summary>
    public double? TopP { get; init; }

    /// <summary>Gets the sequences that stop generation.</summary>
    public IReadOnlyList<string>? Stop { get; init; }

    /// <summary>Gets the sampling seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Gets other fields sent with every prompt (llama.cpp's <c>top_k</c>, <c>grammar</c>, …).</summary>
    public IDictionary<string, JsonElement>? AdditionalProperties { get; init; }

    /// <summary>Builds the request for one prompt.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <returns>The request.</returns>
    public CompletionRequest ToRequest(string prompt) => new()
    {
        Prompt = prompt,
        Model = Model,
        MaxTokens = MaxTokens,
        Temperature = Temperature,
        TopP = TopP,
        Stop = Stop,
        Seed = Seed,
        AdditionalProperties = AdditionalProperties,
    };
}
