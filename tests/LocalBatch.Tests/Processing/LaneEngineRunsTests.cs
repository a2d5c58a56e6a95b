using System.Runtime.CompilerServices;
using LocalBatch.Internal;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch.Tests.Processing;

/// <summary>The engine on runs: each run's items one after another on one lane, the lanes side by side.</summary>
public sealed class LaneEngineRunsTests
{
    [Fact]
    public async Task RunAsync_Runs_EachRunsItemsOneAfterAnotherLanesSideBySide()
    {
        var running = new int[10];
        var overlapped = false;
        var inFlight = 0;
        var peak = 0;
        var operation = BatchOperation<(int Run, int Item), string>.OfCall(async (request, ct) =>
        {
            overlapped |= Interlocked.Increment(ref running[request.Run]) > 1;
            InterlockedMax.Update(ref peak, Interlocked.Increment(ref inFlight));
            await Task.Delay(1, ct);
            Interlocked.Decrement(ref inFlight);
            Interlocked.Decrement(ref running[request.Run]);
            return $"{request.Run}.{request.Item}";
        }, static _ => null);

        var outcomes = new List<(int Run, int Item)>();
        await foreach (var (request, result) in LaneEngine.StreamAsync(token => AsyncRunSource<(int Run, int Item)>.OfRuns(Runs(10, 6), token), 3, operation, new BatchProgressTracker(null, null, TimeProvider.System), NullLogger.Instance, TimeProvider.System, CancellationToken.None))
        {
            Assert.Equal($"{request.Run}.{request.Item}", result.Value);
            outcomes.Add(request);
        }

        Assert.Equal(60, outcomes.Count);
        Assert.False(overlapped, "two requests of one run were in flight at once");
        Assert.InRange(peak, 2, 3);
        foreach (var run in outcomes.GroupBy(o => o.Run))
        {
            Assert.Equal(Enumerable.Range(0, 6), run.Select(o => o.Item)); // in order within the run
        }
    }

    private static async IAsyncEnumerable<IReadOnlyList<(int Run, int Item)>> Runs(int runs, int items, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var run = 0; run < runs; run++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return [.. Enumerable.Range(0, items).Select(item => (run, item))];
        }
    }
}
