using LocalBatch.Processing.Internal;

namespace LocalBatch.Tests.Processing;

public sealed class AffinityPlanTests
{
    [Fact]
    public void Plan_NothingShared_IsNullForInputOrder() =>
        Assert.Null(AffinityPlan.Plan([0, 7, 8, 0, 9], lanes: 2));

    [Fact]
    public void Plan_Groups_BiggestFirstInInputOrderWithSinglesLast()
    {
        ulong[] keys = [5, 0, 6, 5, 6, 5, 0];

        var runs = AffinityPlan.Plan(keys, lanes: 1)!;

        Assert.Equal([[0, 3, 5], [2, 4], [1], [6]], runs);
    }

    [Fact]
    public void Plan_OneHugeGroup_SplitSoThatEveryLaneShares()
    {
        var keys = Enumerable.Repeat(42UL, 10).ToList();

        var runs = AffinityPlan.Plan(keys, lanes: 4)!;

        Assert.Equal([3, 3, 3, 1], runs.Select(run => run.Length));
        Assert.Equal(Enumerable.Range(0, 10), runs.SelectMany(run => run));
    }

    [Fact]
    public void Plan_EveryItemOnce()
    {
        var random = new Random(7);
        var keys = Enumerable.Range(0, 1_000).Select(_ => (ulong)random.Next(0, 40)).ToList();

        var runs = AffinityPlan.Plan(keys, lanes: 8)!;

        Assert.Equal(Enumerable.Range(0, 1_000), runs.SelectMany(run => run).Order());
        Assert.All(runs, run => Assert.True(run.Length == 1 || run.All(i => keys[i] == keys[run[0]])));
    }
}
