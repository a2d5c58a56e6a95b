using LocalBatch.Testing;
using LocalBatch.Tests.Support;

namespace LocalBatch.Tests.Processing;

public sealed class LocalBatchProcessorTests
{
    [Fact]
    public async Task ProcessBatchCompletionsAsync_1000ItemsWithFailures_OneResultPerInputInOrder()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            Slots = 8,
            FaultRate = 0.05,
            RandomFaultKinds = [SimulatedFaultKind.ServiceUnavailable, SimulatedFaultKind.ConnectionReset, SimulatedFaultKind.TruncatedBody],
            FaultSelector = request => request.Body?["prompt"]?.GetValue<string>().StartsWith("FAIL", StringComparison.Ordinal) == true
                ? new SimulatedFault(SimulatedFaultKind.BadRequest) { Message = "bad prompt" }
                : null,
        });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxRetryAttempts = 10));
        var prompts = Enumerable.Range(0, 1000)
            .Select(i => (i % 50 == 7 ? "FAIL " : "ok ") + string.Join(' ', Enumerable.Repeat("w", i % 7)))
            .ToList();

        var results = await processor.ProcessBatchCompletionsAsync(prompts, new CompletionOptions { MaxTokens = 3 });

        Assert.Equal(1000, results.Count);
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            Assert.Equal(i, result.Index);
            if (i % 50 == 7)
            {
                Assert.False(result.IsSuccess);
                Assert.Equal(400, result.Error.StatusCode);
                Assert.Equal(1, result.Attempts);
            }
            else
            {
                Assert.True(result.IsSuccess, $"item {i}: {result.Error}");
                Assert.Equal(1 + (i % 7), result.Value.Usage!.PromptTokens);
            }
        }

        Assert.True(gateway.Counters.FaultsInjected > 20);
        Assert.Contains(results, r => r.Attempts > 1);
    }

    [Fact]
    public async Task ProcessBatchCompletionsAsync_FixedConcurrency_ReachesButNeverExceedsBound()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 8 });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxConcurrency = 3));
        gateway.Pause();

        var pending = processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 30).Select(i => $"p{i}"));
        await gateway.WaitForInFlightAsync(3);
        gateway.Resume();
        var results = await pending;

        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(3, gateway.Counters.PeakInFlight);
    }

    [Fact]
    public async Task ProcessBatchChatCompletionsAsync_AutoConcurrency_UsesTotalSlots()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 6 });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        gateway.Pause();

        var pending = processor.ProcessBatchChatCompletionsAsync(Enumerable.Range(0, 40).Select(i => new ChatCompletionRequest { Messages = [ChatCompletionMessage.User($"q{i}")] }));
        await gateway.WaitForInFlightAsync(6);
        gateway.Resume();
        var results = await pending;

        Assert.Equal(6, await processor.GetConcurrencyAsync());
        Assert.Equal(40, results.Count(r => r.IsSuccess));
        Assert.Equal(6, gateway.Counters.PeakInFlight);
        Assert.Equal(1, gateway.Counters.GetRequests("/props"));
    }

    [Fact]
    public async Task GetConcurrencyAsync_GatewayWithoutProps_IsTheMostTheAdaptiveLimitMayReach()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { EnableProps = false });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxAdaptiveConcurrency = 12));

        Assert.Equal(12, await processor.GetConcurrencyAsync());
    }

    [Fact]
    public async Task ProcessBatchEmbeddingsAsync_MoreThanChunkSize_ChunksAndMergesInOrder()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxEmbeddingInputsPerRequest = 10));
        var texts = Enumerable.Range(0, 95).Select(i => $"text number {i}").ToList();

        var response = await processor.ProcessBatchEmbeddingsAsync(texts);
        var single = await processor.Client.CreateEmbeddingsAsync(new EmbeddingRequest { Input = [texts[57]] });

        Assert.Equal(10, gateway.Counters.GetRequests("/v1/embeddings") - 1);
        Assert.Equal(95, response.Data.Count);
        Assert.Equal(Enumerable.Range(0, 95), response.Data.Select(d => d.Index));
        Assert.Equal(single.Data[0].Embedding, response.Data[57].Embedding);
        Assert.Equal(95 * 3, response.Usage!.PromptTokens);
    }

    [Fact]
    public async Task ProcessBatchEmbeddingsAsync_ChunkTooLarge_SplitsAndSucceeds()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { MaxEmbeddingTokensPerRequest = 20 });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxEmbeddingInputsPerRequest = 16));
        var texts = Enumerable.Range(0, 16).Select(i => $"two {i}").ToList();

        var response = await processor.ProcessBatchEmbeddingsAsync(texts);

        Assert.Equal(Enumerable.Range(0, 16), response.Data.Select(d => d.Index));
        Assert.True(gateway.Counters.GetRequests("/v1/embeddings") >= 3);
        Assert.Equal(32, response.Usage!.PromptTokens);
    }

    [Fact]
    public async Task ProcessBatchEmbeddingsAsync_OneInputTooLarge_FailsNamingItsIndex()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { MaxEmbeddingTokensPerInput = 5 });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        var texts = Enumerable.Range(0, 10).Select(i => i == 7 ? "far too many words in this one text" : "short").ToList();

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => processor.ProcessBatchEmbeddingsAsync(texts));

        Assert.Equal(7, ex.InputIndex);
        Assert.Contains("input 7", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task ProcessBatchEmbeddingsAsync_OneInputRefusedWith400_HalvesDownToItStopsThereAndNamesItWithTheServersError()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { FaultSelector = Simulator.RefuseInputsContaining("BAD") });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxConcurrency = 1));
        var texts = Enumerable.Range(0, 16).Select(i => i == 11 ? "a BAD text" : $"text {i}").ToList();

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => processor.ProcessBatchEmbeddingsAsync(texts));

        Assert.Equal((11, 400, "invalid_request_error", "Input content cannot be empty"), (ex.InputIndex, ex.StatusCode, ex.ErrorType, ex.ServerMessage));
        Assert.Contains("input 11", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Input content cannot be empty", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);

        // [0,16) refused, [0,8) answered, [8,16) and [8,12) refused, [8,10) answered, [10,12) refused, [10] answered,
        // [11] refused: the call fails there, and [12,16) is never sent.
        Assert.Equal(8, gateway.Counters.GetRequests("/v1/embeddings"));
    }

    [Theory]
    [InlineData("no --embeddings", 501, 1)]
    [InlineData("server fault", 500, 6)] // the first attempt and 5 retries, once
    [InlineData("wrong key", 401, 1)]
    public async Task ProcessBatchEmbeddingsAsync_RefusalEveryHalfWouldGetAlike_NotSplit(string refusal, int status, int requests)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            EnableEmbeddings = refusal != "no --embeddings",
            ApiKey = refusal == "wrong key" ? "right-key" : null,
            FaultSelector = refusal == "server fault" ? _ => new SimulatedFault(SimulatedFaultKind.InternalServerError) : null,
        });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => (o.MaxConcurrency, o.ApiKey) = (1, "wrong-key")));

        var ex = await Assert.ThrowsAsync<LocalGatewayException>(() => processor.ProcessBatchEmbeddingsAsync(Enumerable.Range(0, 16).Select(i => $"text {i}")));

        Assert.Equal((status, (int?)null), (ex.StatusCode, ex.InputIndex));
        Assert.Equal(requests, gateway.Counters.GetRequests("/v1/embeddings"));
    }

    [Fact]
    public async Task StreamBatchCompletionsAsync_LongInput_ReadsLazilyAndKeepsBound()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 8 });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxConcurrency = 4));
        var pulled = 0;
        IEnumerable<CompletionRequest> Source()
        {
            for (var i = 0; i < 200; i++)
            {
                Interlocked.Increment(ref pulled);
                yield return new CompletionRequest { Prompt = $"item {i}" };
            }
        }

        gateway.Pause();
        var seen = new List<int>();
        var consuming = Task.Run(async () =>
        {
            await foreach (var result in processor.StreamBatchCompletionsAsync(Source()))
            {
                Assert.True(result.IsSuccess);
                seen.Add(result.Index);
            }
        });
        await gateway.WaitForInFlightAsync(4);
        var pulledWhilePaused = Volatile.Read(ref pulled);
        gateway.Resume();
        await consuming;

        Assert.InRange(pulledWhilePaused, 4, 5);
        Assert.Equal(Enumerable.Range(0, 200), seen.Order());
        Assert.Equal(4, gateway.Counters.PeakInFlight);
    }

    [Fact]
    public async Task ProcessBatchCompletionsAsync_Cancelled_StopsPromptly()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        using var cts = new CancellationTokenSource();
        gateway.Pause();

        var pending = processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 50).Select(i => $"p{i}"), cancellationToken: cts.Token);
        await gateway.WaitForInFlightAsync(4);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal(4, gateway.Counters.GetRequests("/v1/completions"));
        gateway.Resume();
    }

    [Fact]
    public async Task ProcessBatchCompletionsAsync_Progress_ReachesTotals()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            FaultSelector = r => r.Body?["prompt"]?.GetValue<string>() == "p3" ? new SimulatedFault(SimulatedFaultKind.BadRequest) : null,
        });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway));
        var progress = new CollectingProgress();

        await processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 20).Select(i => $"p{i}"), new CompletionOptions { MaxTokens = 4 }, progress);

        var last = progress.Reports.MaxBy(p => p.Completed)!;
        Assert.Equal(20, last.Total);
        Assert.Equal(20, last.Completed);
        Assert.Equal(1, last.Failed);
        Assert.Equal(0, progress.Reports.Last().InFlight);
        Assert.Equal(19 * 4, last.CompletionTokens);
        Assert.Equal(19, last.PromptTokens);
    }
}
