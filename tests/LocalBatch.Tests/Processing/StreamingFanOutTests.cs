using System.Runtime.CompilerServices;
using LocalBatch.Internal;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch.Tests.Processing;

public sealed class StreamingFanOutTests
{
    [Fact]
    public async Task RunAsync_ManyItems_OneOutcomePerItemAndNeverMoreThanTheBoundInFlight()
    {
        var running = 0;
        var peak = 0;
        var operation = Operation(async (item, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax.Update(ref peak, now);
            await Task.Yield();
            Interlocked.Decrement(ref running);
            return item % 7 == 0 ? throw new InvalidOperationException($"item {item}") : $"#{item}";
        });

        var outcomes = await Collect(StreamingFanOut.RunAsync(Source(200), 3, new SlotLimiter(3), operation, Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None));

        Assert.Equal(Enumerable.Range(0, 200), outcomes.Select(o => o.Result.Index).Order());
        Assert.All(outcomes, o => Assert.Equal(o.Request, o.Result.Index));
        Assert.Equal(29, outcomes.Count(o => !o.Result.IsSuccess));
        Assert.All(outcomes.Where(o => o.Result.IsSuccess), o => Assert.Equal($"#{o.Request}", o.Result.Value));
        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task RunAsync_InputReadLazily_ReadsOnlyAsSlotsFreeUp()
    {
        var read = 0;
        var fourRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource();
        var operation = Operation(async (item, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return "done";
        });

        await using var outcomes = StreamingFanOut.RunAsync(Counted(Source(1_000), () =>
        {
            if (Interlocked.Increment(ref read) == 4)
            {
                fourRead.SetResult();
            }
        }), 4, new SlotLimiter(4), operation, Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None).GetAsyncEnumerator();
        var first = outcomes.MoveNextAsync();
        await fourRead.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Four in flight, and at most the fifth read and waiting for a slot.
        Assert.InRange(Volatile.Read(ref read), 4, 5);
        release.SetResult();
        Assert.True(await first);
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsAndSurfacesCancellation()
    {
        using var cts = new CancellationTokenSource();
        var operation = Operation(async (item, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return "never";
        });

        var run = Collect(StreamingFanOut.RunAsync(Source(10), 2, new SlotLimiter(2), operation, Tracker(), NullLogger.Instance, TimeProvider.System, cts.Token));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task RunAsync_InputFails_SurfacesItsError()
    {
        var operation = Operation((item, ct) => Task.FromResult("ok"));

        var error = await Assert.ThrowsAsync<IOException>(() => Collect(StreamingFanOut.RunAsync(Failing(3), 2, new SlotLimiter(2), operation, Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None)));

        Assert.Equal("disk", error.Message);
    }

    [Fact]
    public async Task RunAsync_TwoBatchesOnSharedSlots_NeverMoreThanTheSlotsAndTheLaterSmallOneIsNotStarved()
    {
        var shared = new SlotLimiter(3);
        var running = 0;
        var peak = 0;
        var bigDone = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<string> Work(int item, bool big, CancellationToken ct)
        {
            InterlockedMax.Update(ref peak, Interlocked.Increment(ref running));
            await release.Task.WaitAsync(ct);
            await Task.Delay(1, ct); // a request takes some time at the server
            Interlocked.Decrement(ref running);
            if (big)
            {
                Interlocked.Increment(ref bigDone);
            }

            return "ok";
        }

        // The big batch holds every shared slot until the small one has its three requests in line too.
        var bigRun = Collect(StreamingFanOut.RunAsync(Source(1_000), 3, shared, Operation((item, ct) => Work(item, big: true, ct)), Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None));
        var smallRun = Collect(StreamingFanOut.RunAsync(Source(30), 3, shared, Operation((item, ct) => Work(item, big: false, ct)), Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None));
        await WhenAsync(() => shared.InUse == 3 && shared.Waiting == 3);
        release.SetResult();

        var small = await smallRun;
        var doneWhenSmallEnded = Volatile.Read(ref bigDone);
        await bigRun;

        Assert.Equal(30, small.Count);
        Assert.InRange(peak, 1, 3);
        Assert.True(doneWhenSmallEnded < 100, $"the small batch waited behind {doneWhenSmallEnded} of the big one's 1,000 requests");
    }

    /// <summary>Waits, a bounded while, for a state that other tasks reach on their own.</summary>
    private static async Task WhenAsync(Func<bool> condition)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (10 * TimeProvider.System.TimestampFrequency);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetTimestamp() < deadline, "the state was never reached");
            await Task.Delay(1);
        }
    }

    private static BatchOperation<int, string> Operation(Func<int, CancellationToken, Task<string>> send) =>
        new((item, _, ct) => send(item, ct), static _ => null);

    private static BatchProgressTracker Tracker() => new(null, null, TimeProvider.System);

    private static async IAsyncEnumerable<int> Source(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return i;
        }
    }

    private static async IAsyncEnumerable<int> Counted(IAsyncEnumerable<int> source, Action onRead)
    {
        await foreach (var item in source)
        {
            onRead();
            yield return item;
        }
    }

    private static async IAsyncEnumerable<int> Failing(int after)
    {
        for (var i = 0; i < after; i++)
        {
            await Task.Yield();
            yield return i;
        }

        throw new IOException("disk");
    }

    private static async Task<List<(int Request, BatchItemResult<string> Result)>> Collect(IAsyncEnumerable<(int, BatchItemResult<string>)> outcomes)
    {
        var list = new List<(int, BatchItemResult<string>)>();
        await foreach (var outcome in outcomes)
        {
            list.Add(outcome);
        }

        return list;
    }
}
