using LocalBatch.Batches.Internal;

namespace LocalBatch.Tests.Batches;

public sealed class CustomIdSetTests
{
    [Fact]
    public void Contains_AfterSeal_FindsEveryAddedIdAndNoOther()
    {
        var set = new CustomIdSet();
        for (var i = 0; i < 10_000; i++)
        {
            set.Add($"req-{i}");
        }

        set.Seal();

        Assert.Equal(10_000, set.Count);
        Assert.All(Enumerable.Range(0, 10_000), i => Assert.True(set.Contains($"req-{i}")));
        Assert.False(set.Contains("req-10000"));
        Assert.False(set.Contains("REQ-1"));
        Assert.Empty(set.FindRepeated());
    }

    [Fact]
    public void FindRepeated_GivesEachRepeatedIdOnce()
    {
        var set = new CustomIdSet();
        foreach (var id in new[] { "a", "b", "a", "c", "a", "b", "é" })
        {
            set.Add(id);
        }

        set.Seal();

        Assert.Equal(new HashSet<CustomIdKey> { CustomIdKey.Of("a"), CustomIdKey.Of("b") }, set.FindRepeated());
    }

    [Fact]
    public void AddAfterSeal_AndLookupBeforeSeal_Throw()
    {
        var set = new CustomIdSet();
        set.Add("a");
        Assert.Throws<InvalidOperationException>(() => set.Contains("a"));

        set.Seal();
        Assert.Throws<InvalidOperationException>(() => set.Add("b"));
    }
}
