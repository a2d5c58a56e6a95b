using System.Net;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Options;
using RichardSzalay.MockHttp;
using static LocalBatch.Tests.Support.QueueTestGateway;

namespace LocalBatch.Tests.Queue;

/// <summary>A RequestQueue's workers: how many, and how they go on past failures.</summary>
public sealed class RequestQueueWorkerTests
{
    [Fact]
    public async Task Worker_WorkFails_GoesOnWithTheNextRequest()
    {
        using var client = CreateClient();
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });

        await queue.SubmitAsync("async-throw", async ct =>
        {
            await Task.Yield();
            throw new InvalidOperationException("boom");
        });
        await queue.SubmitAsync("sync-throw", ct => throw new FormatException("bad input"));
        await queue.SubmitAsync("null-task", ct => (Task)null!);
        await queue.SubmitAsync("own-cancel", ct => Task.FromCanceled<int>(new CancellationToken(canceled: true)));
        await queue.SubmitAsync("fine", ct => Task.FromResult("ok"));
        await queue.WaitCompletionAsync();

        var asyncThrow = await queue.GetResultAsync("async-throw");
        Assert.Equal(RequestStatus.Failed, asyncThrow.Status);
        Assert.Equal("boom", asyncThrow.Error!.Message);
        Assert.Equal("boom", Assert.Throws<InvalidOperationException>(() => asyncThrow.GetValue<int>()).Message);
        Assert.IsType<FormatException>((await queue.GetResultAsync("sync-throw")).Error!.Exception);
        Assert.Equal(RequestStatus.Failed, (await queue.GetResultAsync("null-task")).Status);
        Assert.Equal(RequestStatus.Failed, (await queue.GetResultAsync("own-cancel")).Status);
        Assert.Equal("ok", (await queue.GetResultAsync("fine")).GetValue<string>());
        Assert.Equal(4, queue.Stats.Failed);
        Assert.Equal(1, queue.Stats.Completed);
    }

    [Fact]
    public async Task Worker_GatewayRefusesRequest_FailsThatRequestWithTheGatewayError()
    {
        var mock = new MockHttpMessageHandler();
        mock.When("*/v1/completions").Respond(HttpStatusCode.BadRequest, "application/json", """{"error":{"code":400,"message":"\"prompt\" must be provided","type":"invalid_request_error"}}""");
        mock.When("*/v1/chat/completions").Respond("application/json", ChatJson);
        using var client = CreateClient(mock);
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 1 });

        await queue.SubmitAsync("bad", new CompletionRequest { Prompt = string.Empty });
        await queue.SubmitAsync("good", new ChatCompletionRequest { Messages = [ChatCompletionMessage.User("Hi")] });

        var bad = await queue.GetResultAsync("bad");
        Assert.Equal(RequestStatus.Failed, bad.Status);
        Assert.Equal(400, bad.Error!.StatusCode);
        Assert.Equal("invalid_request_error", bad.Error.Type);
        Assert.Equal(400, Assert.Throws<LocalGatewayException>(() => bad.GetValue<CompletionResponse>()).StatusCode);
        Assert.Equal(RequestStatus.Completed, (await queue.GetResultAsync("good")).Status);
    }

    [Fact]
    public async Task Constructor_MaxWorkersZero_UsesTotalSlotsFromProps()
    {
        var mock = new MockHttpMessageHandler();
        mock.When("*/props").Respond("application/json", """{"total_slots":3,"model_path":"tiny.gguf"}""");
        using var client = CreateClient(mock);
        await using var queue = new RequestQueue(client);
        using var gate = new WorkGate();
        for (var i = 0; i < 10; i++)
        {
            await queue.SubmitAsync($"job-{i}", ct => gate.RunAsync(0, ct));
        }

        await gate.WhenStarted(3);
        Assert.Equal(3, queue.Stats.Workers);
        gate.Open();
        await queue.WaitCompletionAsync();
        Assert.Equal(3, queue.Stats.PeakConcurrency);
        Assert.Equal(3, gate.Peak);
    }

    [Fact]
    public async Task Constructor_MaxWorkersZeroAndClientMaxConcurrency_UsesTheClientsBoundWithoutAskingProps()
    {
        var mock = new MockHttpMessageHandler();
        var props = mock.When("*/props").Respond("application/json", """{"total_slots":3,"model_path":"tiny.gguf"}""");
        using var client = CreateClient(mock, maxConcurrency: 2);
        await using var queue = new RequestQueue(client);
        using var gate = new WorkGate();
        for (var i = 0; i < 6; i++)
        {
            await queue.SubmitAsync($"job-{i}", ct => gate.RunAsync(0, ct));
        }

        await gate.WhenStarted(2);
        Assert.Equal(2, queue.Stats.Workers);
        gate.Open();
        await queue.WaitCompletionAsync();
        Assert.Equal(2, gate.Peak);
        Assert.Equal(0, mock.GetMatchCount(props));
    }

    [Fact]
    public async Task Constructor_MaxWorkersZeroAndNoProps_StartsAsManyWorkersAsTheAdaptiveLimitMayReach()
    {
        var mock = new MockHttpMessageHandler();
        mock.When("*/props").Respond(HttpStatusCode.NotFound, "application/json", """{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}""");
        using var client = CreateClient(mock);
        await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 0 });
        using var gate = new WorkGate();
        for (var i = 0; i < 10; i++)
        {
            await queue.SubmitAsync($"job-{i}", ct => gate.RunAsync(0, ct));
        }

        // Workers are cheap; what reaches a server is bounded by the client's limit for it, found from latency.
        await gate.WhenStarted(10);
        Assert.Equal(client.Options.MaxAdaptiveConcurrency, queue.Stats.Workers);
        gate.Open();
        await queue.WaitCompletionAsync();
        Assert.Equal(10, queue.Stats.PeakConcurrency);
    }

    [Fact]
    public async Task Constructor_MaxWorkersZeroAndGatewayDown_StillRuns()
    {
        var mock = new MockHttpMessageHandler();
        mock.When("*/props").Throw(new HttpRequestException("Connection refused"));
        using var client = CreateClient(mock);
        await using var queue = new RequestQueue(client);

        await queue.SubmitAsync("job", ct => Task.FromResult(1));

        Assert.Equal(1, (await queue.GetResultAsync("job")).GetValue<int>());
        Assert.Equal(client.Options.MaxAdaptiveConcurrency, queue.Stats.Workers);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsListingEveryProblem()
    {
        using var client = CreateClient();

        var error = Assert.Throws<OptionsValidationException>(() => new RequestQueue(client, new RequestQueueOptions
        {
            MaxWorkers = -1,
            Capacity = 0,
            DrainTimeout = TimeSpan.FromSeconds(-5),
            MaxRetainedResults = 0,
            ResultRetention = TimeSpan.Zero,
        }));

        Assert.Equal(5, error.Failures.Count());
        Assert.Contains("RequestQueueOptions.MaxWorkers", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestQueueOptions.Capacity must be between 1 and", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestQueueOptions.DrainTimeout", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestQueueOptions.MaxRetainedResults", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestQueueOptions.ResultRetention", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new RequestQueue(null!));
    }
}
