using System.Collections.Concurrent;
using LocalBatch.Tests.Reliability;
using LocalBatch.Tests.Support;

namespace LocalBatch.Tests.Queue;

/// <summary>
/// Many producers and consumers at once, submissions and waits cancelled at random, a shutdown under load: no deadlock
/// (every wait bounded), no lost or doubled result, no task exception left unobserved.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class RequestQueueStressTests
{
    private const int Producers = 16;
    private const int PerProducer = 250;
    private static readonly TimeSpan Deadlock = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SubmitAndRead_ManyProducersAndConsumersWithRandomCancellation_EveryAcceptedRequestHasOneResult()
    {
        using var unobserved = new UnobservedTaskExceptions();
        using var client = QueueTestGateway.CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 8, Capacity = 16 });
        var accepted = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var refused = new ConcurrentBag<string>();
        var results = new ConcurrentDictionary<string, RequestResult>(StringComparer.Ordinal);
        var toRead = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var cancelledFirst = 0;

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var random = new Random(p);
            for (var i = 0; i < PerProducer; i++)
            {
                var id = $"p{p}-{i}";
                var number = (p * PerProducer) + i;
                using var submit = new CancellationTokenSource();
                switch (random.Next(20))
                {
                    case 0:
                        submit.Cancel(); // refused whether or not there is room
                        Interlocked.Increment(ref cancelledFirst);
                        break;
                    case 1:
                        submit.CancelAfter(TimeSpan.FromTicks(random.Next(1, 20_000))); // while waiting for room, or too late to matter
                        break;
                }

                try
                {
                    await queue.SubmitAsync(id, ct => WorkAsync(number, id, ct), submit.Token);
                    accepted[id] = number;
                    await toRead.Writer.WriteAsync(id);
                }
                catch (OperationCanceledException)
                {
                    refused.Add(id);
                }
            }
        })).ToList();

        var consumers = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            var random = new Random(1000 + c);
            await foreach (var id in toRead.Reader.ReadAllAsync())
            {
                RequestResult result;
                try
                {
                    using var impatient = new CancellationTokenSource();
                    if (random.Next(4) == 0)
                    {
                        impatient.Cancel(); // gives up waiting: the request goes on, and is read again below
                    }

                    result = await queue.GetResultAsync(id, impatient.Token);
                }
                catch (OperationCanceledException)
                {
                    result = await queue.GetResultAsync(id);
                }

                Assert.True(results.TryAdd(id, result), $"{id} was read twice");
            }
        })).ToList();

        await Task.WhenAll(producers).WaitAsync(Deadlock);
        toRead.Writer.Complete();
        await Task.WhenAll(consumers).WaitAsync(Deadlock);
        await queue.WaitCompletionAsync().WaitAsync(Deadlock);

        Assert.Equal(Producers * PerProducer, accepted.Count + refused.Count);
        Assert.InRange(refused.Count, cancelledFirst, Producers * PerProducer);
        Assert.Equal(accepted.Keys.Order(StringComparer.Ordinal), results.Keys.Order(StringComparer.Ordinal));
        Assert.All(results, pair => AssertFinal(pair.Value, accepted[pair.Key], canBeCancelled: false));
        Assert.All(refused, id => Assert.False(queue.TryGetResult(id, out _), $"{id} was refused but has a result"));
        var stats = queue.Stats;
        Assert.Equal((accepted.Count, 0L, 0, 0, 0), (stats.Completed + stats.Failed, stats.Cancelled, stats.Running, stats.Queued, stats.Retained));
        Assert.Empty(unobserved.Collect());
    }

    [Fact]
    public async Task StopAsync_UnderLoadWithRandomCancellation_AccountsForEveryAcceptedRequest()
    {
        using var unobserved = new UnobservedTaskExceptions();
        using var client = QueueTestGateway.CreateClient();
        var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 8, Capacity = 32, KeepResultsAfterRead = true });
        var accepted = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var underLoad = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var random = new Random(p);
            for (var i = 0; ; i++)
            {
                var id = $"p{p}-{i}";
                var number = (p * 1_000_000) + i;
                using var submit = new CancellationTokenSource();
                if (random.Next(10) == 0)
                {
                    submit.CancelAfter(TimeSpan.FromTicks(random.Next(0, 20_000)));
                }

                try
                {
                    await queue.SubmitAsync(id, ct => WorkAsync(number, id, ct), submit.Token);
                    accepted[id] = number;
                    if (accepted.Count >= 2_000)
                    {
                        underLoad.TrySetResult();
                    }
                }
                catch (OperationCanceledException)
                {
                    // Not queued: the wait for room was cancelled.
                }
                catch (ObjectDisposedException)
                {
                    return; // the queue has stopped (this submission, waiting for room or not, was not queued)
                }
            }
        })).ToList();

        await underLoad.Task.WaitAsync(Deadlock);

        using (var drain = new CancellationTokenSource())
        {
            drain.CancelAfter(TimeSpan.FromMilliseconds(5)); // a short graceful part: what has not finished then is cancelled
            await queue.StopAsync(drain.Token).WaitAsync(Deadlock);
        }

        await Task.WhenAll(producers).WaitAsync(Deadlock);
        await queue.DisposeAsync().AsTask().WaitAsync(Deadlock);

        foreach (var (id, number) in accepted)
        {
            Assert.True(queue.TryGetResult(id, out var result), $"{id} was accepted and lost");
            AssertFinal(result, number, canBeCancelled: true);
        }

        var stats = queue.Stats;
        Assert.Equal(accepted.Count, stats.Completed + stats.Failed + stats.Cancelled);
        Assert.Equal(0, stats.Running);
        Assert.Empty(unobserved.Collect());
    }

    /// <summary>Work that yields, sometimes waits a little (honouring its token), and fails for one number in 13.</summary>
    private static async Task<string> WorkAsync(int number, string id, CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (number % 7 == 0)
        {
            await Task.Delay(1, cancellationToken);
        }

        return number % 13 == 0 ? throw new InvalidOperationException($"work {id} failed") : id;
    }

    private static void AssertFinal(RequestResult result, int number, bool canBeCancelled)
    {
        if (canBeCancelled && result.Status == RequestStatus.Cancelled)
        {
            return;
        }

        if (number % 13 == 0)
        {
            Assert.Equal(RequestStatus.Failed, result.Status);
            Assert.Equal($"work {result.RequestId} failed", result.Error!.Message);
        }
        else
        {
            Assert.Equal(RequestStatus.Completed, result.Status);
            Assert.Equal(result.RequestId, result.GetValue<string>());
        }
    }
}
