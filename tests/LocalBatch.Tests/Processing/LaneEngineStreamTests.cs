using System.Runtime.CompilerServices;
using LocalBatch.Internal;
using LocalBatch.Processing.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch.Tests.Processing;

/// <summary>The engine in stream mode: a lazily read input, outcomes yielded as they finish.</summary>
public sealed class LaneEngineStreamTests
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

        var outcomes = await Collect(Stream(Source(200), 3, operation, Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None));

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

        await using var outcomes = Stream(Counted(Source(1_000), () =>
        {
            if (Interlocked.Increment(ref read) == 4)
            {
                fourRead.SetResult();
            }
        }), 4, operation, Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None).GetAsyncEnumerator();
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

        var run = Collect(Stream(Source(10), 2, operation, Tracker(), NullLogger.Instance, TimeProvider.System, cts.Token));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task RunAsync_InputFails_SurfacesItsError()
    {
        var operation = Operation((item, ct) => Task.FromResult("ok"));

        var error = await Assert.ThrowsAsync<IOException>(() => Collect(Stream(Failing(3), 2, operation, Tracker(), NullLogger.Instance, TimeProvider.System, CancellationToken.None)));

        Assert.Equal("disk", error.Message);
    }

    private static BatchOperation<int, string> Operation(Func<int, CancellationToken, Task<string>> send) =>
        BatchOperation<int, string>.OfCall(send, static _ => null);

    private static IAsyncEnumerable<(int Request, BatchItemResult<string> Result)> Stream(
        IAsyncEnumerable<int> source, int lanes, BatchOperation<int, string> operation, BatchProgressTracker tracker, Microsoft.Extensions.Logging.ILogger logger, TimeProvider time, CancellationToken cancellationToken) =>
        LaneEngine.StreamAsync(token => AsyncRunSource<int>.OfItems(source, token), lanes, operation, tracker, logger, time, cancellationToken);

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
