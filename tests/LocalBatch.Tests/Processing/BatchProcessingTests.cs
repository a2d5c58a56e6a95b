using LocalBatch.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Processing;

/// <summary>
/// The public fan-out over an operation of the caller's: order, per-item outcomes, bound, usage, failures after all,
/// clock, validation, cancellation and streaming, through the public API only.
/// </summary>
public sealed class BatchProcessingTests
{
    [Fact]
    public async Task ProcessBatchAsync_SomeInputsFailing_OneResultPerInputInInputOrder()
    {
        var results = await BatchProcessing.ProcessBatchAsync(Enumerable.Range(0, 100), async (i, ct) =>
        {
            await Task.Yield();
            return i % 10 == 7 ? throw new InvalidOperationException($"refused {i}") : new Answer($"a{i}");
        });

        Assert.Equal(Enumerable.Range(0, 100), results.Select(r => r.Index));
        Assert.Equal(10, results.Count(r => !r.IsSuccess));
        Assert.All(results.Where(r => r.IsSuccess), r => Assert.Equal($"a{r.Index}", r.Value!.Text));
        var failed = results[17];
        Assert.Equal((GatewayErrorKind.Server, "InvalidOperationException", "refused 17"), (failed.Error!.Kind, failed.Error.Type, failed.Error.Message));
        Assert.IsType<InvalidOperationException>(failed.Error.Exception);
        Assert.Null(failed.Value);
        Assert.All(results, r => Assert.Equal(1, r.Attempts));
    }

    [Fact]
    public async Task ProcessBatchAsync_OperationsOwnTimeout_IsThatItemsErrorNotTheBatchs()
    {
        var results = await BatchProcessing.ProcessBatchAsync(
            Enumerable.Range(0, 3),
            (i, ct) => i == 1 ? Task.FromException<Answer>(new TaskCanceledException("attempt timed out")) : Task.FromResult(new Answer("ok")));

        Assert.Equal([true, false, true], results.Select(r => r.IsSuccess));
        Assert.IsType<TaskCanceledException>(results[1].Error!.Exception);
    }

    [Fact]
    public async Task ProcessBatchAsync_MaxConcurrency_ReachedButNeverExceeded()
    {
        using var gate = new WorkGate();

        var batch = BatchProcessing.ProcessBatchAsync(Enumerable.Range(0, 10), (i, ct) => gate.RunAsync(new Answer("ok"), ct), new BatchProcessingOptions<Answer> { MaxConcurrency = 3 });
        await gate.WhenStarted(3);

        Assert.Equal(3, gate.Started);
        gate.Open();
        Assert.All(await batch, r => Assert.True(r.IsSuccess));
        Assert.Equal(3, gate.Peak);
        Assert.Equal(10, gate.Started);
    }

    [Fact]
    public async Task ProcessBatchAsync_NoOptions_KeepsTheFallbackConcurrencyInFlight()
    {
        using var gate = new WorkGate();

        var batch = BatchProcessing.ProcessBatchAsync(Enumerable.Range(0, 9), (i, ct) => gate.RunAsync(new Answer("ok"), ct));
        await gate.WhenStarted(4);
        gate.Open();
        await batch;

        Assert.Equal(4, gate.Peak);
        Assert.Equal(4, new BatchProcessingOptions<Answer>().MaxConcurrency);
    }

    [Fact]
    public async Task ProcessBatchAsync_UsageSelector_ProgressAddsUpTheTokensOfSuccessfulItems()
    {
        var progress = new CollectingProgress();
        var options = new BatchProcessingOptions<Answer> { UsageSelector = static a => a.Usage };

        await BatchProcessing.ProcessBatchAsync(
            Enumerable.Range(0, 8),
            (i, ct) => i == 3 ? throw new HttpRequestException("down") : Task.FromResult(new Answer("ok", new Usage { PromptTokens = 10, CompletionTokens = 2 })),
            options,
            progress);

        var last = progress.Reports.Last();
        Assert.Equal((8, 8, 1, 0), (last.Total, last.Completed, last.Failed, last.InFlight));
        Assert.Equal((70, 14), (last.PromptTokens, last.CompletionTokens));
        Assert.Empty(last.Servers);
        Assert.True(progress.Reports.Count >= 8);
    }

    [Fact]
    public async Task ProcessBatchAsync_NoUsageSelector_CountsNoTokens()
    {
        var progress = new CollectingProgress();

        await BatchProcessing.ProcessBatchAsync(Enumerable.Range(0, 3), (i, ct) => Task.FromResult(new Answer("ok", new Usage { PromptTokens = 10 })), progress: progress);

        Assert.Equal((3, 0L, 0L), (progress.Reports.Last().Completed, progress.Reports.Last().PromptTokens, progress.Reports.Last().CompletionTokens));
    }

    [Fact]
    public async Task ProcessBatchAsync_ErrorSelector_FailsTheItemKeepingItsAnswerAndCountsNoTokens()
    {
        var progress = new CollectingProgress();
        var options = new BatchProcessingOptions<Answer>
        {
            UsageSelector = static a => a.Usage,
            ErrorSelector = static a => a.Text switch
            {
                "refusal" => new BatchItemError(GatewayErrorKind.InvalidResponse, null, "refused", "The model refused."),
                "broken" => throw new FormatException("not JSON"),
                _ => null,
            },
        };

        var results = await BatchProcessing.ProcessBatchAsync(
            ["fine", "refusal", "broken"],
            (text, ct) => Task.FromResult(new Answer(text, new Usage { PromptTokens = 5 })),
            options,
            progress);

        Assert.True(results[0].IsSuccess);
        Assert.Equal(("refused", "refusal"), (results[1].Error!.Type, results[1].Value!.Text));
        Assert.IsType<FormatException>(results[2].Error!.Exception);
        Assert.Equal((3, 2, 5L), (progress.Reports.Last().Completed, progress.Reports.Last().Failed, progress.Reports.Last().PromptTokens));
    }

    [Fact]
    public async Task ProcessBatchAsync_FakeTimeProvider_ElapsedTimesAreMeasuredOnIt()
    {
        var time = new FakeTimeProvider();
        var progress = new CollectingProgress();
        var options = new BatchProcessingOptions<Answer> { MaxConcurrency = 1, TimeProvider = time };

        var results = await BatchProcessing.ProcessBatchAsync(Enumerable.Range(0, 3), (i, ct) =>
        {
            time.Advance(TimeSpan.FromSeconds(2));
            return Task.FromResult(new Answer("ok"));
        }, options, progress);

        Assert.All(results, r => Assert.Equal(TimeSpan.FromSeconds(2), r.Elapsed));
        var last = progress.Reports.Last();
        Assert.Equal((TimeSpan.FromSeconds(6), 0.5, (TimeSpan?)TimeSpan.Zero), (last.Elapsed, last.RequestsPerSecond, last.EstimatedRemaining));
    }

    [Fact]
    public async Task ProcessBatchAsync_Cancelled_ThrowsAndStartsNothingMore()
    {
        using var gate = new WorkGate();
        using var cts = new CancellationTokenSource();

        var batch = BatchProcessing.ProcessBatchAsync(Enumerable.Range(0, 50), (i, ct) => gate.RunAsync(new Answer("ok"), ct), new BatchProcessingOptions<Answer> { MaxConcurrency = 2 }, cancellationToken: cts.Token);
        await gate.WhenStarted(2);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);
        Assert.Equal(2, gate.Started);
    }

    [Fact]
    public async Task ProcessBatchAsync_NoInputs_ReturnsEmptyAndReportsIt()
    {
        var progress = new CollectingProgress();

        var results = await BatchProcessing.ProcessBatchAsync(Array.Empty<int>(), (i, ct) => Task.FromResult(new Answer("ok")), progress: progress);

        Assert.Empty(results);
        Assert.Equal((0, 0), (progress.Reports.Last().Total, progress.Reports.Last().Completed));
    }

    [Fact]
    public void ProcessBatchAsync_InvalidOptions_ThrowsEveryProblemAtOnceBeforeRunningAnything()
    {
        var calls = 0;
        var options = new BatchProcessingOptions<Answer> { MaxConcurrency = 0, TimeProvider = null! };

        // Thrown by the call itself, not by the task it would return.
        var ex = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = BatchProcessing.ProcessBatchAsync(Enumerable.Range(0, 3), (i, ct) =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(new Answer("ok"));
            }, options);
        });

        Assert.Contains("MaxConcurrency", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TimeProvider", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, calls);
        options.TimeProvider = TimeProvider.System;
        options.MaxConcurrency = LocalBatchOptions.MaxConcurrencyLimit + 1;
        Assert.Throws<OptionsValidationException>(() => BatchProcessing.StreamBatchAsync(Enumerable.Range(0, 3), (i, ct) => Task.FromResult(new Answer("ok")), options));
    }

    [Fact]
    public void ProcessBatchAsync_NullArguments_Throw()
    {
        Func<int, CancellationToken, Task<Answer>> operation = (i, ct) => Task.FromResult(new Answer("ok"));

        Assert.Throws<ArgumentNullException>("inputs", () => { _ = BatchProcessing.ProcessBatchAsync(null!, operation); });
        Assert.Throws<ArgumentNullException>("operation", () => { _ = BatchProcessing.ProcessBatchAsync<int, Answer>([1], null!); });
        Assert.Throws<ArgumentNullException>("inputs", () => BatchProcessing.StreamBatchAsync((IAsyncEnumerable<int>)null!, operation));
        Assert.Throws<ArgumentNullException>("inputs", () => BatchProcessing.StreamBatchAsync((IEnumerable<int>)null!, operation));
        Assert.Throws<ArgumentNullException>("operation", () => BatchProcessing.StreamBatchAsync<int, Answer>(AsyncEnumerable.Empty<int>(), null!));
    }

    [Fact]
    public async Task StreamBatchAsync_LongLazyInput_ReadsOnlyAFewAheadOfTheConsumerAndIndexesByInputPosition()
    {
        const int Concurrency = 4;
        const int Count = 2_000;
        var read = 0;
        var consumed = 0;
        var furthestAhead = 0;

        IEnumerable<int> Input()
        {
            for (var i = 0; i < Count; i++)
            {
                var ahead = Interlocked.Increment(ref read) - Volatile.Read(ref consumed);
                furthestAhead = Math.Max(furthestAhead, ahead);
                yield return i;
            }
        }

        var seen = new bool[Count];
        var options = new BatchProcessingOptions<Answer> { MaxConcurrency = Concurrency };
        await foreach (var result in BatchProcessing.StreamBatchAsync(Input(), async (i, ct) => { await Task.Yield(); return new Answer($"a{i}"); }, options))
        {
            Assert.Equal($"a{result.Index}", result.Value!.Text);
            Assert.False(seen[result.Index]);
            seen[result.Index] = true;
            Interlocked.Increment(ref consumed);
        }

        Assert.All(seen, Assert.True);

        // In flight, finished and waiting for the reader, and the one read while waiting for room: O(concurrency).
        Assert.InRange(furthestAhead, 1, (2 * Concurrency) + 2);
    }

    [Fact]
    public async Task StreamBatchAsync_AsyncInputWithFailures_YieldsEveryOutcomeAndReportsTheTotalAtTheEnd()
    {
        var progress = new CollectingProgress();
        var options = new BatchProcessingOptions<Answer> { UsageSelector = static a => a.Usage };

        var results = new List<BatchItemResult<Answer>>();
        await foreach (var result in BatchProcessing.StreamBatchAsync(
            Enumerable.Range(0, 6).ToAsyncEnumerable(),
            (i, ct) => i is 1 or 4 ? Task.FromException<Answer>(new TimeoutException("slow")) : Task.FromResult(new Answer("ok", new Usage { CompletionTokens = 3 })),
            options,
            progress))
        {
            results.Add(result);
        }

        Assert.Equal([1, 4], results.Where(r => !r.IsSuccess).Select(r => r.Index).Order());
        Assert.Equal(Enumerable.Range(0, 6), results.Select(r => r.Index).Order());
        var last = progress.Reports.Last();
        Assert.Equal((6, 6, 2, 12L), (last.Total, last.Completed, last.Failed, last.CompletionTokens));
    }

    [Fact]
    public async Task StreamBatchAsync_OptionsChangedBeforeEnumerating_TheBatchKeepsWhatTheySaidAtTheCall()
    {
        using var gate = new WorkGate();
        var options = new BatchProcessingOptions<Answer> { MaxConcurrency = 2 };
        var stream = BatchProcessing.StreamBatchAsync(Enumerable.Range(0, 6), (i, ct) => gate.RunAsync(new Answer("ok"), ct), options);
        options.MaxConcurrency = 6;

        var consumer = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var result in stream)
            {
                count++;
            }

            return count;
        });
        await gate.WhenStarted(2);
        gate.Open();

        Assert.Equal(6, await consumer);
        Assert.Equal(2, gate.Peak);
    }

    [Fact]
    public async Task StreamBatchAsync_TokenGivenToWithCancellation_StopsTheBatch()
    {
        using var gate = new WorkGate();
        using var cts = new CancellationTokenSource();
        var stream = BatchProcessing.StreamBatchAsync(Enumerable.Range(0, 50), (i, ct) => gate.RunAsync(new Answer("ok"), ct), new BatchProcessingOptions<Answer> { MaxConcurrency = 2 });

        var consumer = Task.Run(async () =>
        {
            await foreach (var result in stream.WithCancellation(cts.Token))
            {
            }
        });
        await gate.WhenStarted(2);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer);
        Assert.Equal(2, gate.Started);
    }

    [Fact]
    public async Task StreamBatchAsync_InputFailsWhileRead_YieldsTheItemsReadThenThrowsTheInputsError()
    {
        static async IAsyncEnumerable<int> Input()
        {
            yield return 0;
            yield return 1;
            await Task.Yield();
            throw new IOException("disk");
        }

        var yielded = new List<int>();
        var ex = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var result in BatchProcessing.StreamBatchAsync(Input(), (i, ct) => Task.FromResult(new Answer($"a{i}"))))
            {
                yielded.Add(result.Index);
            }
        });

        Assert.Equal("disk", ex.Message);
        Assert.Equal([0, 1], yielded.Order());
    }

    /// <summary>A caller's answer type, with the usage it reports.</summary>
    public sealed record Answer(string Text, Usage? Usage = null);
}
