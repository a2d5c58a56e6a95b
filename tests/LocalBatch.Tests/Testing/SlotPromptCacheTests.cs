using LocalBatch.Testing.Internal;

namespace LocalBatch.Tests.Testing;

/// <summary>The prompt cache model: slot choice by longest common prefix, reuse, and the host-memory cache.</summary>
public sealed class SlotPromptCacheTests
{
    private static readonly string s_system = Words("sys", 4);
    private static readonly string s_documentA = Words("a", 40);
    private static readonly string s_documentB = Words("b", 40);

    [Fact]
    public async Task Select_SharedPrefix_TakesSlotHoldingLongestPrefix()
    {
        var scheduler = new SlotScheduler(4);

        // 4 shared tokens of 45 are under the 0.1 similarity: the second prompt takes another slot.
        var a = await RunAsync(scheduler, Claim($"{s_system} {s_documentA} first question"));
        var b = await RunAsync(scheduler, Claim($"{s_system} {s_documentB} first question"));
        var a2 = await RunAsync(scheduler, Claim($"{s_system} {s_documentA} second question"));
        var b2 = await RunAsync(scheduler, Claim($"{s_system} {s_documentB} second question"));

        Assert.Equal((3, 0), a);
        Assert.Equal((2, 0), b);
        Assert.Equal((3, 44), a2);
        Assert.Equal((2, 44), b2);
    }

    [Fact]
    public async Task Select_NothingShared_LeastRecentlyUsedAndNothingReused()
    {
        var scheduler = new SlotScheduler(2);

        var results = new List<(int Slot, int Cached)>();
        for (var i = 0; i < 4; i++)
        {
            results.Add(await RunAsync(scheduler, Claim($"{Words($"doc{i}-", 30)} question")));
        }

        Assert.Equal([(1, 0), (0, 0), (1, 0), (0, 0)], results);
    }

    [Fact]
    public async Task Select_SimilarityZero_IgnoresCachedPrompts()
    {
        var scheduler = new SlotScheduler(2);

        var first = await RunAsync(scheduler, Claim($"{s_documentA} one", similarity: 0));
        var second = await RunAsync(scheduler, Claim($"{s_documentA} two", similarity: 0));

        Assert.Equal((1, 0), first);
        Assert.Equal((0, 0), second);
    }

    [Fact]
    public async Task Launch_SamePromptAgain_ReusesAllButLastToken()
    {
        var scheduler = new SlotScheduler(1);
        var prompt = $"{s_documentA} question";

        var first = await RunAsync(scheduler, Claim(prompt));
        var again = await RunAsync(scheduler, Claim(prompt));

        Assert.Equal((0, 0), first);
        Assert.Equal((0, 40), again);
    }

    [Fact]
    public async Task Launch_SeveralPromptsAndChoices_EachMatchedAgainstThePrevious()
    {
        var scheduler = new SlotScheduler(1);
        var a = PromptTokenIds.OfText($"{s_documentA} one");
        var b = PromptTokenIds.OfText($"{s_documentA} two");

        // a, a (n = 2), b, b: 0 + 40 (all but the last token) + 40 + 40.
        var claim = new SlotClaim { IsGeneration = true, Prompts = [a, a, b, b], Similarity = 0.1 };
        var result = await RunAsync(scheduler, claim);

        Assert.Equal((0, 120), result);
    }

    [Fact]
    public async Task Launch_CachePromptFalse_ReusesNothingButKeepsThePrompt()
    {
        var scheduler = new SlotScheduler(1);
        await RunAsync(scheduler, Claim($"{s_documentA} one"));

        var noReuse = new SlotClaim
        {
            IsGeneration = true,
            Prompts = [PromptTokenIds.OfText($"{s_documentA} two")],
            ReusePrefix = false,
            Similarity = 0.1,
        };
        var withoutCache = await RunAsync(scheduler, noReuse);
        var after = await RunAsync(scheduler, Claim($"{s_documentA} two"));

        Assert.Equal((0, 0), withoutCache);
        Assert.Equal((0, 40), after);
    }

    [Fact]
    public async Task Launch_UntrackedGeneration_ClearsSlotButEmbeddingsKeepIt()
    {
        var scheduler = new SlotScheduler(1);
        await RunAsync(scheduler, Claim($"{s_documentA} one"));

        await RunAsync(scheduler, new SlotClaim());
        var afterEmbedding = await RunAsync(scheduler, Claim($"{s_documentA} two"));
        await RunAsync(scheduler, new SlotClaim { IsGeneration = true });
        var afterUntracked = await RunAsync(scheduler, Claim($"{s_documentA} three"));

        Assert.Equal((0, 40), afterEmbedding);
        Assert.Equal((0, 0), afterUntracked);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10_000, 40)]
    public async Task HostCache_SlotTakenByOtherDocument_BringsThePromptBack(int hostCacheTokens, int expectedCached)
    {
        var scheduler = new SlotScheduler(1);

        await RunAsync(scheduler, Claim($"{s_documentA} one", hostCacheTokens: hostCacheTokens));
        await RunAsync(scheduler, Claim($"{s_documentB} one", hostCacheTokens: hostCacheTokens));
        var back = await RunAsync(scheduler, Claim($"{s_documentA} two", hostCacheTokens: hostCacheTokens));

        Assert.Equal((0, expectedCached), back);
    }

    [Fact]
    public void HostCache_IdleSlots_SavedWhenAnotherSlotIsTaken()
    {
        var cache = new SlotPromptCache(2);
        var busy = new bool[2];
        var a = Claim($"{s_documentA} one", hostCacheTokens: 10_000);

        // The prompt of slot 1 is saved when slot 0 is taken while slot 1 is idle.
        busy[1] = true;
        cache.Launch(1, busy, a);
        busy[1] = false;
        busy[0] = true;
        cache.Launch(0, busy, Claim($"{s_documentB} one", hostCacheTokens: 10_000));

        Assert.Equal(1, cache.HostCount);
    }

    [Fact]
    public void HostPromptCache_Save_SkipsContainedDropsPrefixesAndTrimsOldest()
    {
        var host = new HostPromptCache();
        var shortA = PromptTokenIds.OfText(s_documentA);
        var longA = PromptTokenIds.OfText($"{s_documentA} and more");
        var b = PromptTokenIds.OfText(s_documentB);

        host.Save(shortA);
        host.Save(longA);
        host.Save(shortA);
        Assert.Equal(1, host.Count);

        host.Save(b);
        host.Trim(50);
        Assert.Equal(1, host.Count);
        Assert.Null(host.TryLoad([], longA));
        Assert.Same(b, host.TryLoad([], b));
        Assert.Equal(0, host.Count);
    }

    private static string Words(string stem, int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(i => $"{stem}{i}"));

    private static SlotClaim Claim(string prompt, double similarity = 0.1, int hostCacheTokens = 0) => new()
    {
        IsGeneration = true,
        Prompts = [PromptTokenIds.OfText(prompt)],
        Similarity = similarity,
        HostCacheTokens = hostCacheTokens,
    };

    /// <summary>Runs one request on a free slot and releases it: its slot and cached tokens.</summary>
    private static async Task<(int Slot, int Cached)> RunAsync(SlotScheduler scheduler, SlotClaim claim)
    {
        var acquire = scheduler.AcquireAsync(claim, default).AsTask();
        Assert.True(acquire.IsCompletedSuccessfully, "a slot should have been free");
        var grant = await acquire;
        scheduler.Release(grant.Slot);
        return (grant.Slot, grant.CachedTokens);
    }
}
