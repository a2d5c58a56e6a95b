using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Benchmarks;

/// <summary>
/// The client's own cost: <c>ProcessBatchCompletionsAsync</c> against a plain <see cref="HttpClient"/> +
/// <see cref="SemaphoreSlim"/> loop posting the same requests and reading <c>choices[0].text</c>, both against a
/// zero-latency stand-in server in this process, alternating runs; reported as the ratio of their times, with the
/// bytes each allocates per request.
/// </summary>
internal static class OverheadBenchmark
{
    private const int InFlight = 16;

    /// <summary>The answer every stand-in server gives to a completion, llama.cpp-shaped.</summary>
    internal static readonly byte[] Answer = """{"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny.gguf","choices":[{"text":" a quiet pond","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"""u8.ToArray();

    /// <summary>Where the time goes: the client alone in a plain loop, with and without its retry and timeout pipelines.</summary>
    public static async Task DissectAsync(int requests)
    {
        await using var server = await StartStandInAsync();
        var endpoint = new Uri(server.Urls.First());
        var prompts = Enumerable.Range(0, requests).Select(i => string.Create(CultureInfo.InvariantCulture, $"prompt number {i}")).ToList();
        using var raw = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = endpoint };
        var variants = new (string Name, Func<Task> Run)[]
        {
            ("raw HttpClient loop", () => RawAsync(raw, prompts)),
            ("client in a plain loop", ClientLoop(new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = InFlight })),
            ("  no attempt timeout", ClientLoop(new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = InFlight, AttemptTimeout = Timeout.InfiniteTimeSpan })),
            ("  no retries, no timeout", ClientLoop(new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = InFlight, AttemptTimeout = Timeout.InfiniteTimeSpan, MaxRetryAttempts = 0 })),
            ("client in 16 worker loops", ClientWorkers(new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = InFlight })),
            ("  keeping every answer", ClientWorkers(new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = InFlight }, keeps: true)),
            ("processor", ProcessorRun(new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = InFlight })),
        };
        foreach (var (_, run) in variants)
        {
            await run();
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var (name, run) in variants)
            {
                var cpu = Environment.CpuUsage.TotalTime;
                var (seconds, bytes) = await MeasureAsync(run);
                var cpuPerRequest = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / requests;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} {requests / seconds,8:0} req/s {cpuPerRequest,6:0} us CPU/request {bytes / (double)requests,8:0} B/request"));
            }
        }

        Func<Task> ClientLoop(LocalBatchOptions options)
        {
            var client = new LocalGatewayClient(options);
            return () => ClientLoopAsync(client, prompts, InFlight);
        }

        Func<Task> ClientWorkers(LocalBatchOptions options, bool keeps = false)
        {
            var client = new LocalGatewayClient(options);
            return async () =>
            {
                var next = -1;
                var answers = new CompletionResponse?[prompts.Count];
                await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
                {
                    int index;
                    while ((index = Interlocked.Increment(ref next)) < prompts.Count)
                    {
                        var answer = await client.CreateCompletionAsync(new CompletionRequest { Prompt = prompts[index], MaxTokens = 4 });
                        if (keeps)
                        {
                            answers[index] = answer;
                        }
                    }
                }));
            };
        }

        Func<Task> ProcessorRun(LocalBatchOptions options)
        {
            var processor = new LocalBatchProcessor(options);
            return () => processor.ProcessBatchCompletionsAsync(prompts, new CompletionOptions { MaxTokens = 4 });
        }
    }

    /// <summary>Only the library's loop, many times, for a profiler to watch.</summary>
    public static async Task ProfileAsync(int requests, int rounds)
    {
        await using var server = await StartStandInAsync();
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = new Uri(server.Urls.First()), MaxConcurrency = InFlight });
        var prompts = Enumerable.Range(0, requests).Select(i => string.Create(CultureInfo.InvariantCulture, $"prompt number {i}")).ToList();
        for (var round = 0; round < rounds; round++)
        {
            await processor.ProcessBatchCompletionsAsync(prompts, new CompletionOptions { MaxTokens = 4 });
        }
    }

    public static async Task RunAsync(int requests, int rounds)
    {
        await using var server = await StartStandInAsync();
        var endpoint = new Uri(server.Urls.First());
        using var processor = new LocalBatchProcessor(new LocalBatchOptions { Endpoint = endpoint, MaxConcurrency = InFlight });
        using var raw = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = endpoint };
        var prompts = Enumerable.Range(0, requests).Select(i => string.Create(CultureInfo.InvariantCulture, $"prompt number {i}")).ToList();
        var options = new CompletionOptions { MaxTokens = 4 };

        // Warm-up: connections, JIT, tiered compilation.
        for (var i = 0; i < 3; i++)
        {
            await processor.ProcessBatchCompletionsAsync(prompts.Take(5_000), options);
            await RawAsync(raw, prompts.Take(5_000).ToList());
        }

        var library = new List<(double Seconds, long Bytes, double Cpu)>();
        var plain = new List<(double Seconds, long Bytes, double Cpu)>();
        for (var round = 0; round < rounds; round++)
        {
            library.Add(await MeasureWithCpuAsync(() => processor.ProcessBatchCompletionsAsync(prompts, options)));
            plain.Add(await MeasureWithCpuAsync(() => RawAsync(raw, prompts)));
        }

        var libraryTime = Median(library.Select(run => run.Seconds));
        var plainTime = Median(plain.Select(run => run.Seconds));
        var libraryCpu = Median(library.Select(run => run.Cpu)) * 1e6 / requests;
        var plainCpu = Median(plain.Select(run => run.Cpu)) * 1e6 / requests;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overhead, {requests} completions, {InFlight} in flight, zero-latency stand-in in this process, median of {rounds} alternating rounds:"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  LocalBatch     {requests / libraryTime,7:0} req/s {libraryCpu,5:0.0} us CPU a request (client and stand-in) {library.Average(run => run.Bytes) / requests,6:0} B allocated a request"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  raw HttpClient {requests / plainTime,7:0} req/s {plainCpu,5:0.0} us CPU a request (client and stand-in) {plain.Average(run => run.Bytes) / requests,6:0} B allocated a request"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio (LocalBatch / raw): time {libraryTime / plainTime:0.00}, CPU {libraryCpu / plainCpu:0.00} (target <= 1.15)"));
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>Wall time, bytes allocated and CPU time (this process's, all threads) of one run.</summary>
    internal static async Task<(double Seconds, long Bytes, double Cpu)> MeasureWithCpuAsync(Func<Task> run)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var (seconds, bytes) = await MeasureAsync(run);
        return (seconds, bytes, (Environment.CpuUsage.TotalTime - cpu).TotalSeconds);
    }

    private static async Task<(double Seconds, long Bytes)> MeasureAsync(Func<Task> run)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        await run();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (seconds, GC.GetTotalAllocatedBytes(precise: true) - allocated);
    }

    /// <summary>What a user would write without the library: a semaphore, PostAsJsonAsync, and the answer's text.</summary>
    internal static async Task RawAsync(HttpClient http, IReadOnlyList<string> prompts, int inFlight = InFlight)
    {
        using var slots = new SemaphoreSlim(inFlight);
        var texts = new string?[prompts.Count];
        await Task.WhenAll(prompts.Select(async (prompt, index) =>
        {
            await slots.WaitAsync();
            try
            {
                using var response = await http.PostAsJsonAsync("v1/completions", new Dictionary<string, object> { ["prompt"] = prompt, ["max_tokens"] = 4 });
                response.EnsureSuccessStatusCode();
                using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
                texts[index] = json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString();
            }
            finally
            {
                slots.Release();
            }
        }));
    }

    /// <summary>The gateway client alone, in the raw loop's shape: a semaphore and one task a prompt, no processor.</summary>
    internal static async Task ClientLoopAsync(LocalGatewayClient client, IReadOnlyList<string> prompts, int inFlight)
    {
        using var slots = new SemaphoreSlim(inFlight);
        await Task.WhenAll(prompts.Select(async prompt =>
        {
            await slots.WaitAsync();
            try
            {
                await client.CreateCompletionAsync(new CompletionRequest { Prompt = prompt, MaxTokens = 4 });
            }
            finally
            {
                slots.Release();
            }
        }));
    }

    /// <summary>A server that answers every completion at once with the same body: nothing of its own to measure.</summary>
    private static async Task<WebApplication> StartStandInAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/completions", static async context =>
        {
            // Read the request to its end, as a real server does.
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.StatusCode = (int)HttpStatusCode.OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = Answer.Length;
            await context.Response.Body.WriteAsync(Answer);
        });
        app.MapGet("/props", static () => Results.NotFound());
        await app.StartAsync();
        return app;
    }
}
