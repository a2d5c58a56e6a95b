using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LocalBatch.Benchmarks;

/// <summary>
/// Issue 13's workload: questions over documents, each request "document + question" as a completion whose prompt is
/// an array of token ids, so that a real llama-server and the simulated gateway see the same tokens. Sent in one of
/// several orders by a plain <see cref="HttpClient"/> loop, measuring requests a second and cached prompt tokens.
/// </summary>
internal sealed class PromptCacheWorkload
{
    // Token ids 3..272 are the tiny rig model's ordinary tokens (0-2 are <unk>, <s>, </s>).
    private const int FirstToken = 3;
    private const int LastToken = 272;

    private readonly int[][] _documents;
    private readonly int[][][] _questions;

    public PromptCacheWorkload(int documents, int questions, int documentTokens, int questionTokens, int seed)
    {
        var random = new Random(seed);
        _documents = [.. Enumerable.Range(0, documents).Select(_ => Tokens(random, documentTokens))];
        _questions = [.. Enumerable.Range(0, documents).Select(_ => Enumerable.Range(0, questions).Select(_ => Tokens(random, questionTokens)).ToArray())];
    }

    public int Count => _documents.Length * _questions[0].Length;

    /// <summary>Every request, document by document, each document's questions in order.</summary>
    public IEnumerable<(int Document, int Question)> Grouped() =>
        from d in Enumerable.Range(0, _documents.Length)
        from q in Enumerable.Range(0, _questions[d].Length)
        select (d, q);

    /// <summary>Every request in a shuffled order (fixed seed), as a batch file that is not sorted.</summary>
    public (int Document, int Question)[] Shuffled(int seed)
    {
        var all = Grouped().ToArray();
        new Random(seed).Shuffle(all);
        return all;
    }

    /// <summary>Runs the requests in this order, <paramref name="concurrency"/> at once.</summary>
    public async Task<RunResult> RunInOrderAsync(HttpClient http, IEnumerable<(int Document, int Question)> order, int concurrency, int maxTokens)
    {
        using var gate = new SemaphoreSlim(concurrency);
        var total = new RunTotals();
        var started = Stopwatch.GetTimestamp();
        var tasks = new List<Task>();
        foreach (var (document, question) in order)
        {
            await gate.WaitAsync();
            tasks.Add(SendAndReleaseAsync(document, question));
        }

        await Task.WhenAll(tasks);
        return total.Result(Stopwatch.GetElapsedTime(started));

        async Task SendAndReleaseAsync(int document, int question)
        {
            try
            {
                total.Add(await SendAsync(http, document, question, maxTokens, slot: -1));
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// Runs each document's questions in sequence on one of <paramref name="lanes"/> lanes (document d on lane
    /// d % lanes), the lanes side by side; with <paramref name="pinSlots"/>, each lane's requests carry
    /// <c>id_slot</c> = its lane.
    /// </summary>
    public async Task<RunResult> RunInLanesAsync(HttpClient http, int lanes, int maxTokens, bool pinSlots)
    {
        var total = new RunTotals();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, lanes).Select(async lane =>
        {
            for (var document = lane; document < _documents.Length; document += lanes)
            {
                for (var question = 0; question < _questions[document].Length; question++)
                {
                    total.Add(await SendAsync(http, document, question, maxTokens, pinSlots ? lane : -1));
                }
            }
        }));
        return total.Result(Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Sends one request and returns its answer's usage and timings.</summary>
    public async Task<Answer> SendAsync(HttpClient http, int document, int question, int maxTokens, int slot)
    {
        var prompt = new JsonArray([.. _documents[document].Concat(_questions[document][question]).Select(t => JsonValue.Create(t))]);
        var body = new JsonObject { ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0 };
        if (slot >= 0)
        {
            body["id_slot"] = slot;
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsJsonAsync("v1/completions", body);
        response.EnsureSuccessStatusCode();
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var elapsed = Stopwatch.GetElapsedTime(started);
        var usage = json["usage"]!;
        var timings = json["timings"];
        return new Answer(
            (int)usage["prompt_tokens"]!,
            (int?)usage["prompt_tokens_details"]?["cached_tokens"] ?? 0,
            (int)usage["completion_tokens"]!,
            (double?)timings?["prompt_ms"] ?? 0,
            (double?)timings?["predicted_ms"] ?? 0,
            elapsed.TotalMilliseconds);
    }

    private static int[] Tokens(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => random.Next(FirstToken, LastToken + 1))];

    /// <summary>One answer: usage, the server's own timings, and the round trip seen by the client.</summary>
    internal readonly record struct Answer(int PromptTokens, int CachedTokens, int CompletionTokens, double PromptMs, double PredictedMs, double WallMs);

    /// <summary>A run's throughput and prompt cache hit ratio.</summary>
    internal readonly record struct RunResult(int Requests, double RequestsPerSecond, long PromptTokens, long CachedTokens)
    {
        public double CachedRatio => PromptTokens == 0 ? 0 : (double)CachedTokens / PromptTokens;
    }

    private sealed class RunTotals
    {
        private int _requests;
        private long _promptTokens;
        private long _cachedTokens;

        public void Add(Answer answer)
        {
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _promptTokens, answer.PromptTokens);
            Interlocked.Add(ref _cachedTokens, answer.CachedTokens);
        }

        public RunResult Result(TimeSpan elapsed) => new(_requests, _requests / elapsed.TotalSeconds, _promptTokens, _cachedTokens);
    }
}
