using System.Text;
using System.Text.Json;
using LocalBatch.Server.Tests.Reliability.Harness;
using LocalBatch.Tests.Reliability.Harness;
using OpenAI.Files;
using Xunit.Abstractions;
using static LocalBatch.Server.Tests.Reliability.ServeCrashResumeTests;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Reliability;

/// <summary>
/// localbatch serve, a child process, killed outright (SIGKILL) halfway through an upload and as it validates the input
/// of a new batch: the next start shows nothing half made (no such file; each such batch failed with
/// <c>validation_interrupted</c>, nothing sent for it), and the same file, created again, runs exactly once.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ServeKilledWhileCreatingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Serve_KilledWhileUploadingAndWhileValidating_ShowsNothingHalfMadeAndTheFileRunsWhenCreatedAgain()
    {
        const int Lines = 160;
        await using var env = await StartAsync();
        var big = new string('x', 100_000); // 16 MB of input: validation takes long enough to be caught at it
        var input = Encoding.UTF8.GetBytes(ChatLines(Lines, i => $"{i} {big}"));
        var loop = LoopOn(env);

        // Killed halfway through an upload: the next start lists no such file.
        await using (var serve = await loop.StartAsync())
        {
            using var uploading = new FileWatch(Path.Combine(env.StoreDirectory, "files"), "upload-*.tmp");
            using var upload = new StalledUpload(input.AsMemory(0, input.Length / 2));
            using var http = serve.CreateClient();
            var sending = http.PostAsync("v1/files", upload);
            await Task.WhenAny(uploading.Appeared, sending).WaitAsync(ServeApi.EndTimeout);
            Assert.True(uploading.Appeared.IsCompleted, "the upload ended before it was under way");
            Assert.True(await serve.KillAsync());
            upload.Release();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => sending);
        }

        // Killed as it validates the input of a batch, three times: each such batch fails at the next start, nothing sent.
        string fileId;
        await using (var serve = await loop.StartAsync())
        {
            using var http = serve.CreateClient();
            Assert.Empty((await JsonAsync(await http.GetAsync("v1/files"))).GetProperty("data").EnumerateArray());
            Assert.Empty(Directory.GetFiles(Path.Combine(env.StoreDirectory, "files"), "*.tmp")); // the partial upload is gone at start-up
            OpenAIFile file = await Sdk(serve).GetOpenAIFileClient().UploadFileAsync(new MemoryStream(input), "big.jsonl", FileUploadPurpose.Batch);
            fileId = file.Id;
        }

        // A kill that lands once the input is whole leaves a batch that runs at the next start (and must then be whole too).
        var killedWhileValidating = new List<string>();
        List<string> batches = [];
        // Three kills, and more (up to six) until one lands while validating: under load the watch of the copy can be seen
        // only after the input is checked.
        for (var attempt = 0; attempt < 3 || (attempt < 6 && killedWhileValidating.Count == 0); attempt++)
        {
            var sentBefore = env.ChatRequests;
            await using (var serve = await loop.StartAsync())
            {
                using var validating = new FileWatch(env.StoreDirectory, "input.jsonl.tmp", subdirectories: true);
                using var http = serve.CreateClient();
                var creating = ServeApi.CreateBatchAsync(http, fileId, Chat);
                await Task.WhenAny(validating.Appeared, creating).WaitAsync(ServeApi.EndTimeout);
                await serve.KillAsync();
            }

            var created = Directory.GetDirectories(env.StoreDirectory, "batch_*").Select(Path.GetFileName).Except([.. killedWhileValidating, .. batches]).Single()!;
            if (ReadStatus(env.StoreDirectory, created) == "validating")
            {
                killedWhileValidating.Add(created);
                Assert.Equal(sentBefore, env.ChatRequests);
            }
            else
            {
                batches.Add(created); // ended before the next attempt, whose gateway count must be its own
                await RunAgainAsync(loop, (serve, http) => ServeApi.WaitForEndAsync(http, created));
            }
        }

        var (failed, ended) = await RunAgainAsync(loop, async (serve, http) =>
        {
            var failed = await Task.WhenAll(killedWhileValidating.Select(id => ServeApi.GetBatchAsync(http, id)));
            batches.Add((await ServeApi.CreateBatchAsync(http, fileId, Chat)).GetProperty("id").GetString()!);
            var ended = new List<(JsonElement Batch, byte[] Output, byte[] Errors)>();
            foreach (var id in batches)
            {
                var batch = await ServeApi.WaitForEndAsync(http, id);
                ended.Add((batch, await ServeApi.DownloadAsync(http, batch.GetProperty("output_file_id").GetString()), await ServeApi.DownloadAsync(http, batch.GetProperty("error_file_id").GetString())));
            }

            return (failed, ended);
        });

        output.WriteLine($"{killedWhileValidating.Count} of 3 kills landed while validating; {env.ChatRequests} requests for {ended.Count} batches of {Lines} lines");
        Assert.NotEmpty(killedWhileValidating);
        Assert.All(failed, job => Assert.Equal(("failed", "validation_interrupted"), (job.GetProperty("status").GetString(), job.GetProperty("errors").GetProperty("data")[0].GetProperty("code").GetString())));
        Assert.All(ended, end =>
        {
            Assert.Equal("completed", end.Batch.GetProperty("status").GetString());
            var check = ExactlyOnceCheck.Of([.. Expected(Lines)], end.Output, end.Errors);
            Assert.True(check.Holds, check.ToString());
            AssertCounts(end.Batch, Lines, Lines, 0);
        });
        Assert.DoesNotContain(Directory.GetFiles(env.StoreDirectory, "*", SearchOption.AllDirectories), path => path.EndsWith("input.jsonl.tmp", StringComparison.Ordinal));
    }

    private static async Task<T> RunAgainAsync<T>(ServeCrashLoop loop, Func<ServeProcess, HttpClient, Task<T>> act)
    {
        await using var serve = await loop.StartAsync();
        using var http = serve.CreateClient();
        return await act(serve, http);
    }

    private static string ReadStatus(string stateDirectory, string batchId)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDirectory, batchId, "batch.json")));
        return json.RootElement.GetProperty("status").GetString()!;
    }
}
