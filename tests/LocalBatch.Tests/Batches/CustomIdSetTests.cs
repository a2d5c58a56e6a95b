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

    [Fact]
    public void TryGetValue_DigestsWithNumbers_GivesEachItsNumberAfterTheSort()
    {
        var mixed = new CustomIdSet();
        mixed.Add(CustomIdKey.Of("a"), 1);
        Assert.Throws<InvalidOperationException>(() => mixed.Add("b"));

        var set = new CustomIdSet();
        for (var i = 0; i < 1000; i++)
        {
            set.Add(CustomIdKey.Of(System.Text.Encoding.UTF8.GetBytes($"line {i}")), i);
        }

        set.Seal();

        Assert.All(Enumerable.Range(0, 1000), i => Assert.True(set.TryGetValue(CustomIdKey.Of(System.Text.Encoding.UTF8.GetBytes($"line {i}")), out var value) && value == i));
        Assert.False(set.TryGetValue(CustomIdKey.Of("line 1000"u8), out _));
        Assert.Equal(CustomIdKey.Of("a"), CustomIdKey.Of("a"u8));
    }

    [Fact]
    public void IndexOf_DistinctDigests_GivesEachItsOwnPlace()
    {
        var set = new CustomIdSet();
        foreach (var id in new[] { "c", "a", "b" })
        {
            set.Add(id);
        }

        set.Seal();

        Assert.Equal([0, 1, 2], new[] { "a", "b", "c" }.Select(id => set.IndexOf(CustomIdKey.Of(id))).Order());
        Assert.Equal(-1, set.IndexOf(CustomIdKey.Of("d")));
        Assert.Throws<InvalidOperationException>(() => set.TryGetValue(CustomIdKey.Of("a"), out _));
    }
}
