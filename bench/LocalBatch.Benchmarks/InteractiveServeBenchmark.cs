using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LocalBatch.Server;

namespace LocalBatch.Benchmarks;

/// <summary>
/// <see cref="InteractiveBenchmark"/> through <c>localbatch serve</c>: the batch is a JSONL file uploaded to serve's
/// Files API and run by its Batch API, and the chat stream goes through serve's proxy, where its slot ledger sees it.
/// </summary>
internal static class InteractiveServeBenchmark
{
    public static async Task RunAsync(Uri gateway, int requests)
    {
        Console.WriteLine(Invariant($"localbatch serve in front of {gateway}: {requests} completions of 256 tokens; a chat every 0.25 s through serve's proxy"));
        var idle = await WithServerAsync(gateway, BatchPriority.Background, static async http =>
            await InteractiveBenchmark.StreamAsync(http, TimeSpan.FromSeconds(8), new TaskCompletionSource().Task));
        var alone = await WithServerAsync(gateway, BatchPriority.Foreground, http => BatchAsync(http, requests, stream: false));
        var foreground = await WithServerAsync(gateway, BatchPriority.Foreground, http => BatchAsync(http, requests, stream: true));
        var background = await WithServerAsync(gateway, BatchPriority.Background, http => BatchAsync(http, requests, stream: true));

        var idleP95 = Stats.Percentile(idle, 0.95);
        Console.WriteLine(Invariant($"  stream alone: p50 {Stats.Percentile(idle, 0.5):0.0} ms, p95 {idleP95:0.0} ms; batch alone {alone.Rate:0.0} req/s"));
        foreach (var (label, run) in new[] { ("foreground (as before)", foreground), ("background (default)", background) })
        {
            var p95 = Stats.Percentile(run.Latencies, 0.95);
            Console.WriteLine(Invariant($"  with the stream, batch in the {label}: stream p50 {Stats.Percentile(run.Latencies, 0.5):0.0} ms, p95 {p95:0.0} ms = {p95 / idleP95:0.00}x idle; batch {run.Rate:0.0} req/s = {run.Rate / alone.Rate:0.000} of alone"));
        }
    }

    private static async Task<T> WithServerAsync<T>(Uri gateway, BatchPriority priority, Func<HttpClient, Task<T>> measure)
    {
        var store = Path.Combine(Path.GetTempPath(), "lb-interactive-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await LocalBatchServer.StartAsync(
                options =>
                {
                    options.Gateway = gateway;
                    options.StateDirectory = store;
                    options.BatchPriority = priority;
                },
                "http://127.0.0.1:0");
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            for (var i = 0; i < 5; i++)
            {
                await InteractiveBenchmark.ChatAsync(http); // the proxy's first requests, out of the figures
            }

            return await measure(http);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    private static async Task<(double Rate, List<double> Latencies)> BatchAsync(HttpClient http, int requests, bool stream)
    {
        var lines = new StringBuilder();
        for (var i = 0; i < requests; i++)
        {
            lines.Append(Invariant($$$"""{"custom_id":"r{{{i}}}","method":"POST","url":"/v1/completions","body":{"prompt":"Write a story about dog number {{{i}}}","max_tokens":256,"ignore_eos":true}}""")).Append('\n');
        }

        using var form = new MultipartFormDataContent();
        using var file = new ByteArrayContent(Encoding.UTF8.GetBytes(lines.ToString()));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", "batch.jsonl");
        form.Add(new StringContent("batch"), "purpose");
        using var uploaded = await http.PostAsync("/v1/files", form);
        var fileId = JsonDocument.Parse(await uploaded.EnsureSuccessStatusCode().Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        var started = Stopwatch.GetTimestamp();
        using var created = await http.PostAsync("/v1/batches", new StringContent(Invariant($$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/completions","completion_window":"24h"}"""), Encoding.UTF8, "application/json"));
        var batchId = JsonDocument.Parse(await created.EnsureSuccessStatusCode().Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var done = WaitAsync(http, batchId!);
        var latencies = stream ? await InteractiveBenchmark.StreamAsync(http, Timeout.InfiniteTimeSpan, done) : [];
        await done;
        return (requests / Stopwatch.GetElapsedTime(started).TotalSeconds, latencies);
    }

    private static async Task WaitAsync(HttpClient http, string batchId)
    {
        while (true)
        {
            var batch = JsonDocument.Parse(await http.GetStringAsync("/v1/batches/" + batchId)).RootElement;
            switch (batch.GetProperty("status").GetString())
            {
                case "completed":
                    if (batch.GetProperty("request_counts").GetProperty("failed").GetInt32() > 0)
                    {
                        throw new InvalidOperationException("A batch request failed.");
                    }

                    return;
                case "failed" or "cancelled" or "expired":
                    throw new InvalidOperationException("The batch did not complete.");
            }

            await Task.Delay(50);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
