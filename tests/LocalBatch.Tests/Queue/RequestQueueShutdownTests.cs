using LocalBatch.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;
using static LocalBatch.Tests.Support.QueueTestGateway;

namespace LocalBatch.Tests.Queue;

/// <summary>Stopping and disposing a RequestQueue: drain, cancel, and account for every request.</summary>
public sealed class RequestQueueShutdownTests
{
    [Fact]
    public async Task DisposeAsync_WorkQueued_LetsItAllFinish()
    {
        var gate = new WorkGate();
        using var client = CreateClient();
        var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });
        for (var i = 0; i < 3; i++)
        {
            var value = i;
            await queue.SubmitAsync($"job-{i}", ct => gate.RunAsync(value, ct));
        }

        await gate.WhenStarted(1);
        var disposing = queue.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queue.SubmitAsync("late", ct => Task.FromResult(9)));

        gate.Open();
        await disposing;

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, (await queue.GetResultAsync($"job-{i}")).GetValue<int>());
        }

        Assert.Equal(3, queue.Stats.Completed);
        Assert.Equal(0, queue.Stats.Cancelled);
        await queue.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_SubmitterWaitingForRoom_RefusesItAndFinishesTheAcceptedWork()
    {
        using var client = CreateClient();
        var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1, Capacity = 1 });
        using var gate = new WorkGate();
        await queue.SubmitAsync("running", ct => gate.RunAsync(0, ct));
        await gate.WhenStarted(1);
        await queue.SubmitAsync("queued", ct => gate.RunAsync(1, ct));
        var blocked = queue.SubmitAsync("blocked", ct => gate.RunAsync(2, ct));

        var disposing = queue.DisposeAsync().AsTask();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => blocked);
        Assert.False(queue.TryGetResult("blocked", out _));
        Assert.False(disposing.IsCompleted);
        gate.Open();
        await disposing;
        Assert.Equal(0, (await queue.GetResultAsync("running")).GetValue<int>());
        Assert.Equal(1, (await queue.GetResultAsync("queued")).GetValue<int>());
    }

    [Fact]
    public async Task StopAsync_TokenCancelled_MarksRunningAndQueuedRequestsCancelled()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });
        using var gate = new WorkGate();
        await queue.SubmitAsync("running", ct => gate.RunAsync(0, ct));
        await queue.SubmitAsync("queued-1", ct => gate.RunAsync(1, ct));
        await queue.SubmitAsync("queued-2", ct => gate.RunAsync(2, ct));
        await gate.WhenStarted(1);
        var waiter = queue.GetResultAsync("queued-2");

        await queue.StopAsync(new CancellationToken(canceled: true));

        var running = await queue.GetResultAsync("running");
        Assert.Equal(RequestStatus.Cancelled, running.Status);
        Assert.NotNull(running.StartedAt);
        Assert.NotNull(running.FinishedAt);
        Assert.Throws<OperationCanceledException>(() => running.GetValue<int>());
        var queued = await queue.GetResultAsync("queued-1");
        Assert.Equal(RequestStatus.Cancelled, queued.Status);
        Assert.Null(queued.StartedAt);
        Assert.Equal(RequestStatus.Cancelled, (await waiter).Status);
        Assert.Equal(1, gate.Started);
        Assert.Equal(new RequestQueueStats(1, 0, 0, 0, 0, 3, 1, 0), queue.Stats);
    }

    [Fact]
    public async Task DisposeAsync_DrainTimeoutPasses_CancelsEvenWorkThatIgnoresTheToken()
    {
        var time = new FakeTimeProvider();
        var gate = new WorkGate();
        using var client = CreateClient();
        var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1, DrainTimeout = TimeSpan.FromSeconds(10) }, timeProvider: time);
        await queue.SubmitAsync("stubborn", ct => gate.RunAsync(0, ct, ignoreCancellation: true));
        await queue.SubmitAsync("queued", ct => gate.RunAsync(1, ct));
        await gate.WhenStarted(1);

        var disposing = queue.DisposeAsync().AsTask();
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(disposing.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await disposing;

        Assert.Equal(RequestStatus.Cancelled, (await queue.GetResultAsync("stubborn")).Status);
        Assert.Equal(RequestStatus.Cancelled, (await queue.GetResultAsync("queued")).Status);
        Assert.Equal(2, queue.Stats.Cancelled);
        gate.Open();
    }

    [Fact]
    public async Task DisposeAsync_CalledTwice_IsIdempotent()
    {
        using var client = CreateClient();
        var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 2 });
        await queue.SubmitAsync("job", ct => Task.FromResult(1));

        await queue.DisposeAsync();
        await queue.DisposeAsync();
        await queue.StopAsync(new CancellationToken(canceled: true));

        Assert.Equal(1, (await queue.GetResultAsync("job")).GetValue<int>());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queue.SubmitAsync("job-2", new EmbeddingRequest { Input = ["x"] }));
    }

    [Fact]
    public async Task DisposeAsync_WhileWorkerCountIsBeingRead_CancelsWhatWaits()
    {
        var props = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var mock = new MockHttpMessageHandler();
        mock.When("*/props").Respond(() => props.Task);
        using var client = CreateClient(mock);
        var queue = new RequestQueue(client, new RequestQueueOptions { DrainTimeout = TimeSpan.Zero });
        await queue.SubmitAsync("job", ct => Task.FromResult(1));

        await queue.DisposeAsync();

        Assert.Equal(RequestStatus.Cancelled, (await queue.GetResultAsync("job")).Status);
        Assert.Equal(0, queue.Stats.Workers);
        props.SetResult(Json("""{"total_slots":2}"""));
    }
}
