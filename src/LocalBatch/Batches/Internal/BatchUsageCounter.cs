using LocalBatch.Gateway.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Sums the token usage of a batch's successful answers, read from each answer's own <c>usage</c> in its endpoint's
/// shape (chat's and completions' <c>prompt_tokens</c>, responses' <c>input_tokens</c>, Anthropic messages' cache
/// counts: see <see cref="RawTokens"/>), with the cached and reasoning tokens, and remembers
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
        if (line.Response?.Body is not { } body || RawTokens.Of(body) is not { } tokens)
        {
            return;
        }

        Interlocked.Add(ref _input, tokens.Input);
        Interlocked.Add(ref _output, tokens.Output);
        Interlocked.Add(ref _cached, tokens.Cached);
        Interlocked.Add(ref _reasoning, tokens.Reasoning);
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
}
