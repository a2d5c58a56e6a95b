using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using LocalBatch.Tests.Reliability;
using LocalBatch.Tests.Support;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Processing;

/// <summary>
/// Many batches at once on one processor (so on one client's shared slots), whole and streamed, cancelled at random
/// points: each finished batch has every result in its place, each cancelled one throws, no slot leaks, nothing
/// deadlocks, no task exception is left unobserved.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class LocalBatchProcessorStressTests
{
    private const int Producers = 12;
    private const int BatchesEach = 20;
    private static readonly TimeSpan Deadlock = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Batches_ManyAtOnceWithRandomCancellation_EveryFinishedBatchWholeAndNoSlotLeaks()
    {
        using var unobserved = new UnobservedTaskExceptions();
        var firstAttempts = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, MockGateway.BaseUrl + "/v1/completions").Respond(async request => Answer(await request.Content!.ReadAsStringAsync(), firstAttempts));
        using var client = MockGateway.CreateClient(mock, o => (o.MaxConcurrency, o.MaxRetryAttempts) = (8, 3));
        using var processor = new LocalBatchProcessor(client);
        var finished = 0;
        var cancelled = 0;

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var random = new Random(p);
            for (var b = 0; b < BatchesEach; b++)
            {
                var prompts = Enumerable.Range(0, random.Next(1, 40)).Select(i => $"p{p}-b{b}-{i}{(i % 11 == 5 ? " bad" : string.Empty)}").ToList();
                var streamed = random.Next(2) == 0;
                var stopAfter = random.Next(4) == 0 ? random.Next(0, prompts.Count) : -1; // cancel this batch after so many results
                using var cancel = new CancellationTokenSource();
                try
                {
                    var results = new List<BatchItemResult<CompletionResponse>>();
                    if (streamed)
                    {
                        await foreach (var result in processor.StreamBatchCompletionsAsync(prompts.Select(prompt => new CompletionRequest { Prompt = prompt }), cancellationToken: cancel.Token))
                        {
                            results.Add(result);
                            if (results.Count == stopAfter)
                            {
                                await cancel.CancelAsync();
                            }
                        }

                        results.Sort((x, y) => x.Index.CompareTo(y.Index));
                    }
                    else
                    {
                        if (stopAfter >= 0)
                        {
                            cancel.CancelAfter(TimeSpan.FromTicks(random.Next(0, 50_000)));
                        }

                        results.AddRange(await processor.ProcessBatchCompletionsAsync(prompts, cancellationToken: cancel.Token));
                    }

                    AssertWhole(prompts, results);
                    Interlocked.Increment(ref finished);
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    Interlocked.Increment(ref cancelled);
                }
            }
        })).ToList();

        await Task.WhenAll(producers).WaitAsync(Deadlock);

        Assert.Equal(Producers * BatchesEach, finished + cancelled);
        Assert.True(cancelled > 0 && finished > 0, $"{finished} finished, {cancelled} cancelled");
        Assert.Equal(0, client.Pool.Snapshot().Sum(server => server.InFlight)); // every slot given back, cancelled batches' included
        Assert.Equal(0, client.Pool.Waiting);
        var after = await processor.ProcessBatchCompletionsAsync(Enumerable.Range(0, 100).Select(i => $"after-{i}")).WaitAsync(Deadlock);
        AssertWhole([.. Enumerable.Range(0, 100).Select(i => $"after-{i}")], after);
        Assert.Empty(unobserved.Collect());
    }

    /// <summary>Each prompt's own answer at its own place: its text, or its 400; a 503 on a first attempt was retried.</summary>
    private static void AssertWhole(IReadOnlyList<string> prompts, IReadOnlyList<BatchItemResult<CompletionResponse>> results)
    {
        Assert.Equal(prompts.Count, results.Count);
        for (var i = 0; i < prompts.Count; i++)
        {
            Assert.Equal(i, results[i].Index);
            if (prompts[i].EndsWith(" bad", StringComparison.Ordinal))
            {
                Assert.Equal(400, results[i].Error!.StatusCode);
            }
            else
            {
                Assert.True(results[i].IsSuccess, results[i].Error?.ToString());
                Assert.Equal(prompts[i], results[i].Value!.Text);
            }
        }
    }

    /// <summary>The server: echoes the prompt; refuses a "bad" one (400); answers 503 to the first attempt of one prompt in five.</summary>
    private static HttpResponseMessage Answer(string body, ConcurrentDictionary<string, byte> firstAttempts)
    {
        using var json = JsonDocument.Parse(body);
        var prompt = json.RootElement.GetProperty("prompt").GetString()!;
        if (prompt.EndsWith(" bad", StringComparison.Ordinal))
        {
            return MockGateway.Json(MockGateway.ErrorBody(400, "invalid_request_error", "bad prompt"), HttpStatusCode.BadRequest);
        }

        if (prompt.GetHashCode(StringComparison.Ordinal) % 5 == 0 && firstAttempts.TryAdd(prompt, 0))
        {
            return MockGateway.Json(MockGateway.ErrorBody(503, "unavailable_error", "Loading model"), HttpStatusCode.ServiceUnavailable);
        }

        var answer = new Dictionary<string, object>
        {
            ["id"] = "cmpl-" + prompt,
            ["object"] = "text_completion",
            ["model"] = "tiny.gguf",
            ["choices"] = new[] { new Dictionary<string, object> { ["index"] = 0, ["text"] = prompt, ["finish_reason"] = "stop" } },
        };
        return MockGateway.Json(JsonSerializer.Serialize(answer));
    }
}
