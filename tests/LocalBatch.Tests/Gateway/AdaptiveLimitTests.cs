using LocalBatch.Gateway.Internal;

namespace LocalBatch.Tests.Gateway;

/// <summary>The latency-based limit against a model of a server: S slots, a fixed time per request, a queue beyond.</summary>
public sealed class AdaptiveLimitTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(48)]
    public void OnSample_ServerWithSlots_SettlesJustAboveThemAndNeverPastTwice(int slots)
    {
        var limit = new AdaptiveLimit(AdaptiveLimit.Initial, max: 64);
        var peak = 0;

        for (var round = 0; round < 60; round++)
        {
            var inFlight = limit.Limit;
            peak = Math.Max(peak, inFlight);
            RunRound(limit, slots, inFlight);
        }

        Assert.InRange(limit.Limit, slots, slots + Math.Max(1, slots / 6) + 1);
        Assert.InRange(peak, 1, 2 * slots);
    }

    [Fact]
    public void OnSample_ClientSendsLessThanTheLimit_DoesNotGrowIt()
    {
        var limit = new AdaptiveLimit(4, max: 64);

        for (var round = 0; round < 20; round++)
        {
            RunRound(limit, slots: 16, inFlight: 1);
        }

        Assert.Equal(4, limit.Limit);
    }

    [Fact]
    public void OnOverload_CutsByAQuarterAndEndsSlowStart()
    {
        var limit = new AdaptiveLimit(16, max: 64);

        Assert.True(limit.OnOverload());
        Assert.Equal(12, limit.Limit);
        RunRound(limit, slots: 64, inFlight: 12);
        Assert.Equal(13, limit.Limit); // grows by one, no longer doubling
    }

    [Fact]
    public void OnSample_NeverAboveTheMax()
    {
        var limit = new AdaptiveLimit(4, max: 10);

        for (var round = 0; round < 20; round++)
        {
            RunRound(limit, slots: 100, inFlight: limit.Limit);
        }

        Assert.Equal(10, limit.Limit);
    }

    /// <summary>One round of answers from a server with <paramref name="slots"/> slots, 50 ms a request, queueing beyond.</summary>
    private static void RunRound(AdaptiveLimit limit, int slots, int inFlight)
    {
        var rtt = TimeSpan.FromMilliseconds(50 * Math.Max(1.0, inFlight / (double)slots));
        var samples = limit.Limit;
        for (var i = 0; i < samples; i++)
        {
            limit.OnSample(rtt, inFlight);
        }
    }
}
