namespace LocalBatch.Testing.Internal;

/// <summary>
/// The completion tokens of one request decoded in steps shared with the other busy slots, as a CPU llama-server
/// does: each token takes <see cref="SimulatedGatewayOptions.LatencyPerToken"/> plus
/// <see cref="SimulatedGatewayOptions.LatencyPerTokenPerBusySlot"/> for each other slot busy at its step.
/// </summary>
internal static class SharedDecode
{
    /// <summary>Tokens decoded between two looks at the busy slots: steps of tens of milliseconds, so that a timer's granularity (about a millisecond) does not distort them.</summary>
    private const int TokensPerStep = 32;

    /// <summary>Waits while <paramref name="tokens"/> are decoded; returns the time it took beyond their time alone.</summary>
    public static async Task<TimeSpan> DecodeAsync(int tokens, SimulatedGatewayOptions options, SlotScheduler slots, TimeProvider time, CancellationToken cancellationToken)
    {
        var extra = TimeSpan.Zero;
        for (var done = 0; done < tokens; done += TokensPerStep)
        {
            var step = Math.Min(TokensPerStep, tokens - done);
            var others = Math.Max(0, slots.Busy - 1);
            var shared = options.LatencyPerTokenPerBusySlot * (others * step);
            extra += shared;
            await Task.Delay((options.LatencyPerToken * step) + shared, time, cancellationToken).ConfigureAwait(false);
        }

        return extra;
    }
}
