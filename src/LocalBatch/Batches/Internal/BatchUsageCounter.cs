using System.Text.Json;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Sums the token usage of a batch's successful answers, read from each answer's own <c>usage</c> (with llama.cpp's
/// <c>prompt_tokens_details.cached_tokens</c> and <c>completion_tokens_details.reasoning_tokens</c>), and remembers
/// where this run began, so that progress shows this run's tokens while the batch's usage shows them all.
/// </summary>
internal sealed class BatchUsageCounter
{
    private long _input;
    private long _output;
    private long _cached;
    private long _reasoning;
    private long _runInputFrom = -1;
    private long _runOutputFrom = -1;

    /// <summary>Gets the prompt tokens of this run (0 before it began).</summary>
    public long RunInputTokens => OfThisRun(ref _input, ref _runInputFrom);

    /// <summary>Gets the generated tokens of this run (0 before it began).</summary>
    public long RunOutputTokens => OfThisRun(ref _output, ref _runOutputFrom);

    /// <summary>Adds the usage of one output line; a line without usage (or an error line) adds nothing.</summary>
    public void Add(BatchResultLine line)
    {
        if (line.Response?.Body is not { ValueKind: JsonValueKind.Object } body
            || !body.TryGetProperty("usage", out var usage)
            || usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        Interlocked.Add(ref _input, ReadCount(usage, "prompt_tokens"));
        Interlocked.Add(ref _output, ReadCount(usage, "completion_tokens"));
        Interlocked.Add(ref _cached, ReadCount(usage, "prompt_tokens_details", "cached_tokens"));
        Interlocked.Add(ref _reasoning, ReadCount(usage, "completion_tokens_details", "reasoning_tokens"));
    }

    /// <summary>Marks the start of this run: what was counted so far came from earlier runs' result files.</summary>
    public void StartRun()
    {
        Volatile.Write(ref _runInputFrom, Interlocked.Read(ref _input));
        Volatile.Write(ref _runOutputFrom, Interlocked.Read(ref _output));
    }

    /// <summary>The batch's usage so far, in OpenAI's shape.</summary>
    public BatchUsage Total()
    {
        var input = Interlocked.Read(ref _input);
        var output = Interlocked.Read(ref _output);
        return new BatchUsage(input, output, input + output)
        {
            InputTokensDetails = new BatchInputTokensDetails(Interlocked.Read(ref _cached)),
            OutputTokensDetails = new BatchOutputTokensDetails(Interlocked.Read(ref _reasoning)),
        };
    }

    private static long OfThisRun(ref long total, ref long from) =>
        Volatile.Read(ref from) is >= 0 and var start ? Interlocked.Read(ref total) - start : 0;

    private static long ReadCount(JsonElement usage, string name, string? detail = null)
    {
        if (!usage.TryGetProperty(name, out var value))
        {
            return 0;
        }

        if (detail is not null && (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(detail, out value)))
        {
            return 0;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;
    }
}
