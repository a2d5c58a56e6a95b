using LocalBatch.Testing;
using LocalBatch.Tests.Support;

namespace LocalBatch.Tests.Processing;

/// <summary>
/// What an <see cref="IProgress{T}"/> of the caller's sees: one report a finished item, in order, each count once, the
/// final count once and before the call returns (the Quickstart prints 25, 50, 75, 100 and then its summary).
/// </summary>
public sealed class BatchProgressOrderTests
{
    [Fact]
    public async Task ProcessBatchCompletionsAsync_ManyInFlight_ReportsEachCountOnceInOrder()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 8 });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxConcurrency = 8));
        var progress = new CollectingProgress();

        await processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 200).Select(i => $"p{i}"), new CompletionOptions { MaxTokens = 2 }, progress);
        var reportsWhenItReturned = progress.Reports.Count;

        Assert.Equal(Enumerable.Range(1, 200), progress.Reports.Select(static report => report.Completed));
        Assert.Equal(200, reportsWhenItReturned);
        Assert.All(progress.Reports, static report => Assert.Equal(200, report.Total));
    }

    [Fact]
    public async Task ProcessBatchAsync_ManyAtOnce_ReportsEachCountOnceInOrder()
    {
        var progress = new CollectingProgress();

        await BatchProcessing.ProcessBatchAsync(
            Enumerable.Range(0, 500),
            async (i, ct) =>
            {
                await Task.Yield();
                return i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            },
            new BatchProcessingOptions<string> { MaxConcurrency = 32 },
            progress);

        Assert.Equal(Enumerable.Range(1, 500), progress.Reports.Select(static report => report.Completed));
    }

    [Fact]
    public async Task StreamBatchAsync_TotalKnownAtTheEnd_EndsWithItInOrder()
    {
        var progress = new CollectingProgress();

        await foreach (var _ in BatchProcessing.StreamBatchAsync(Enumerable.Range(0, 5).ToAsyncEnumerable(), static (i, ct) => Task.FromResult("a"), progress: progress))
        {
        }

        // The total is learned when the input ends: a last report gives it, unless the last item's report did already.
        Assert.Equal([1, 2, 3, 4, 5], progress.Reports.Select(static report => report.Completed).Distinct());
        Assert.Equal((5, 5), (progress.Reports.Last().Completed, progress.Reports.Last().Total));
        Assert.True(progress.Reports.Count(static report => report.Total == 5 && report.Completed == 5) == 1);
    }

    [Fact]
    public async Task ProcessBatchAsync_NoInputs_ReportsZeroOnce()
    {
        var progress = new CollectingProgress();

        await BatchProcessing.ProcessBatchAsync(Enumerable.Empty<int>(), static (i, ct) => Task.FromResult("a"), progress: progress);

        Assert.Equal(0, Assert.Single(progress.Reports).Completed);
    }
}
