using LocalBatch.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using static LocalBatch.Tests.Support.FakeChatClient;

namespace LocalBatch.Tests.AI;

/// <summary>Batches over any IChatClient, here a fake one: order, outcomes, bound, progress, cancellation, streaming.</summary>
public sealed class ChatClientBatchExtensionsTests
{
    [Fact]
    public async Task ProcessBatchAsync_ManyConversationsSomeFailing_OneResultPerInputInInputOrder()
    {
        using var client = new FakeChatClient(async (messages, ct) =>
        {
            await Task.Yield();
            var question = LastUserText(messages);
            return question.EndsWith('7') ? throw new InvalidOperationException($"refused {question}") : Answer("a" + question[1..]);
        });

        var results = await client.ProcessBatchAsync(Conversations(200));

        Assert.Equal(Enumerable.Range(0, 200), results.Select(r => r.Index));
        Assert.Equal(20, results.Count(r => !r.IsSuccess));
        Assert.All(results.Where(r => r.IsSuccess), r => Assert.Equal($"a{r.Index}", r.Value!.Text));
        var failed = results[17];
        Assert.Equal("refused q17", failed.Error!.Message);
        Assert.IsType<InvalidOperationException>(failed.Error.Exception);
        Assert.Equal(1, failed.Attempts);
    }

    [Fact]
    public async Task ProcessBatchAsync_MaxConcurrency_ReachedButNeverExceeded()
    {
        using var gate = new WorkGate();
        using var client = new FakeChatClient((messages, ct) => gate.RunAsync(Answer("ok"), ct));

        var batch = client.ProcessBatchAsync(Conversations(10), batchOptions: new ChatBatchOptions { MaxConcurrency = 3 });
        await gate.WhenStarted(3);

        Assert.Equal(3, gate.Started);
        gate.Open();
        Assert.All(await batch, r => Assert.True(r.IsSuccess));
        Assert.Equal(3, gate.Peak);
        Assert.Equal(10, gate.Started);
    }

    [Fact]
    public async Task ProcessBatchAsync_NoBatchOptions_KeepsFourInFlight()
    {
        using var gate = new WorkGate();
        using var client = new FakeChatClient((messages, ct) => gate.RunAsync(Answer("ok"), ct));

        var batch = client.ProcessBatchAsync(Conversations(9));
        await gate.WhenStarted(4);
        gate.Open();
        await batch;

        Assert.Equal(4, gate.Peak);
    }

    [Fact]
    public async Task ProcessBatchAsync_Cancelled_ThrowsAndStartsNothingMore()
    {
        using var gate = new WorkGate();
        using var cts = new CancellationTokenSource();
        using var client = new FakeChatClient((messages, ct) => gate.RunAsync(Answer("ok"), ct));

        var batch = client.ProcessBatchAsync(Conversations(50), batchOptions: new ChatBatchOptions { MaxConcurrency = 2 }, cancellationToken: cts.Token);
        await gate.WhenStarted(2);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);
        Assert.Equal(2, gate.Started);
    }

    [Fact]
    public async Task ProcessBatchAsync_Progress_CountsEveryConversationItsFailuresAndTokens()
    {
        var progress = new CollectingProgress();
        using var client = new FakeChatClient((messages, ct) => LastUserText(messages) == "q3"
            ? throw new HttpRequestException("down")
            : Task.FromResult(Answer("ok", inputTokens: 10, outputTokens: 2)));

        await client.ProcessBatchAsync(Conversations(8), progress: progress);

        var last = progress.Reports.Last();
        Assert.Equal((8, 8, 1, 0), (last.Total, last.Completed, last.Failed, last.InFlight));
        Assert.Equal((70, 14), (last.PromptTokens, last.CompletionTokens));
        Assert.True(progress.Reports.Count >= 8);
    }

    [Fact]
    public async Task ProcessBatchAsync_ChatOptions_EachConversationGetsItsOwnCopy()
    {
        var options = new ChatOptions { ModelId = "local", Temperature = 0.2f };
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(Answer("ok")));

        await client.ProcessBatchAsync(Conversations(5), options);

        Assert.Equal(5, client.ReceivedOptions.Count);
        Assert.All(client.ReceivedOptions, received =>
        {
            Assert.NotSame(options, received);
            Assert.Equal(("local", 0.2f), (received!.ModelId, received.Temperature));
        });
        Assert.Equal(5, client.ReceivedOptions.Distinct().Count());
    }

    [Fact]
    public async Task ProcessBatchAsync_InvalidBatchOptions_ThrowsBeforeSendingAnything()
    {
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(Answer("ok")));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            client.ProcessBatchAsync(Conversations(3), batchOptions: new ChatBatchOptions { MaxConcurrency = 0 }));

        Assert.Contains("MaxConcurrency", ex.Message, StringComparison.Ordinal);
        Assert.Empty(client.ReceivedOptions);
        Assert.Throws<OptionsValidationException>(() => client.StreamBatchAsync(Conversations(3), batchOptions: new ChatBatchOptions { MaxConcurrency = 5000 }));
    }

    [Fact]
    public async Task ProcessBatchAsync_NoConversations_ReturnsEmptyAndReportsIt()
    {
        var progress = new CollectingProgress();
        using var client = new FakeChatClient((messages, ct) => Task.FromResult(Answer("ok")));

        var results = await client.ProcessBatchAsync([], progress: progress);

        Assert.Empty(results);
        Assert.Equal((0, 0), (progress.Reports.Last().Total, progress.Reports.Last().Completed));
    }

    [Fact]
    public async Task StreamBatchAsync_LongLazyInput_ReadsOnlyAFewAheadOfTheConsumerAndIndexesByInputPosition()
    {
        const int Concurrency = 4;
        const int Count = 2_000;
        var read = 0;
        var consumed = 0;
        var furthestAhead = 0;
        using var client = new FakeChatClient(async (messages, ct) =>
        {
            await Task.Yield();
            return Answer("a" + LastUserText(messages)[1..]);
        });

        IEnumerable<IEnumerable<ChatMessage>> Input()
        {
            for (var i = 0; i < Count; i++)
            {
                var ahead = Interlocked.Increment(ref read) - Volatile.Read(ref consumed);
                furthestAhead = Math.Max(furthestAhead, ahead);
                yield return [new ChatMessage(ChatRole.User, $"q{i}")];
            }
        }

        var seen = new bool[Count];
        await foreach (var result in client.StreamBatchAsync(Input(), batchOptions: new ChatBatchOptions { MaxConcurrency = Concurrency }))
        {
            Assert.Equal($"a{result.Index}", result.Value!.Text);
            Assert.False(seen[result.Index]);
            seen[result.Index] = true;
            Interlocked.Increment(ref consumed);
        }

        Assert.All(seen, Assert.True);

        // In flight, finished and waiting for the reader, and the one read while waiting for a slot: O(concurrency).
        Assert.InRange(furthestAhead, 1, (2 * Concurrency) + 2);
    }

    [Fact]
    public async Task StreamBatchAsync_AsyncInputWithFailures_YieldsEveryOutcomeAndReportsTheTotalAtTheEnd()
    {
        var progress = new CollectingProgress();
        using var client = new FakeChatClient((messages, ct) => LastUserText(messages) is "q1" or "q4"
            ? Task.FromException<ChatResponse>(new TimeoutException("slow"))
            : Task.FromResult(Answer("ok", 1, 1)));

        var results = new List<BatchItemResult<ChatResponse>>();
        await foreach (var result in client.StreamBatchAsync(Conversations(6).ToAsyncEnumerable(), progress: progress))
        {
            results.Add(result);
        }

        Assert.Equal([1, 4], results.Where(r => !r.IsSuccess).Select(r => r.Index).Order());
        Assert.Equal(Enumerable.Range(0, 6), results.Select(r => r.Index).Order());
        Assert.Equal((6, 6, 2), (progress.Reports.Last().Total, progress.Reports.Last().Completed, progress.Reports.Last().Failed));
    }

    [Fact]
    public async Task StreamBatchAsync_ConsumerStopsEarly_InFlightConversationsAreCancelledAndNoMoreStart()
    {
        using var gate = new WorkGate();
        using var client = new FakeChatClient((messages, ct) => LastUserText(messages) == "q0"
            ? Task.FromResult(Answer("first"))
            : gate.RunAsync(Answer("held"), ct));

        async Task<string?> FirstAsync()
        {
            await foreach (var result in client.StreamBatchAsync(Conversations(100), batchOptions: new ChatBatchOptions { MaxConcurrency = 3 }))
            {
                return result.Value?.Text;
            }

            return null;
        }

        // Leaving the loop ends the enumeration only once what it started has stopped: the held conversations are
        // cancelled (the gate never opens), or this would never finish.
        Assert.Equal("first", await FirstAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.InRange(gate.Started, 0, 3);
    }

    internal static IEnumerable<IEnumerable<ChatMessage>> Conversations(int count) =>
        Enumerable.Range(0, count).Select(i => (IEnumerable<ChatMessage>)[new ChatMessage(ChatRole.System, "Be terse."), new ChatMessage(ChatRole.User, $"q{i}")]);
}
