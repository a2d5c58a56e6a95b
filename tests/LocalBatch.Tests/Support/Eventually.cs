namespace LocalBatch.Tests.Support;

/// <summary>
/// Waits, a bounded while, for a state that code in the background reaches on its own and that no event signals (a
/// probe once the fake clock moved, requests queued for a shared slot): the condition is looked at again after each
/// yield to the scheduler, and the test fails when it does not hold in time. Not a wait for an amount of time.
/// </summary>
internal static class Eventually
{
    /// <summary>Returns once <paramref name="condition"/> holds; fails the test with <paramref name="failure"/> after <paramref name="timeout"/> (10 s by default).</summary>
    public static async Task HoldsAsync(Func<bool> condition, string failure = "the state was never reached", TimeSpan? timeout = null)
    {
        var started = TimeProvider.System.GetTimestamp();
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < limit, failure);
            await Task.Delay(1);
        }
    }
}
