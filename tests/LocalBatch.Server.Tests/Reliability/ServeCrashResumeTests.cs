using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using LocalBatch.Server.Tests.Reliability.Harness;
using LocalBatch.Tests.Reliability.Harness;
using LocalBatch.Tests.Support;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using Xunit.Abstractions;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Reliability;

/// <summary>
/// localbatch serve, a child process, killed outright (SIGKILL) at many points of a batch created through its HTTP API
/// with the OpenAI SDK, and started again on the same store each time: the batch resumes by itself and completes, every
/// custom_id answered exactly once in whole JSON lines, and the batch object agrees with its files.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ServeCrashResumeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Serve_KilledEarlyMidBatchAndWhileTheGatewayIsDown_ResumesAndAnswersEveryCustomIdExactlyOnce()
    {
        const int Lines = 600;
        await using var env = await StartAsync();
        env.Gateway.Options.Latency = TimeSpan.FromMilliseconds(5); // 800 answers a second at most: a kill lands near its request
        var loop = LoopOn(env);
        var random = new Random(20_241_130);

        bool[] landed =
        [
            await loop.KillAfterRequestsAsync(1, async serve => loop.BatchId = (await CreateBatchAsync(serve, ChatLines(Lines, i => i % 50 == 0 ? $"FAIL {i}" : $"prompt {i}"))).BatchId),
            await loop.KillAfterRequestsAsync(random.Next(5, 60)),
            await loop.KillAfterRequestsAsync(random.Next(5, 60)),
            await loop.KillAfterRequestsAsync(random.Next(5, 60)),
            await loop.KillWhileTheGatewayIsDownAsync(random.Next(5, 40)),
            await loop.KillAfterRequestsAsync(random.Next(5, 60)),
        ];
        var (batch, outputLines, errorLines, results, lastRun) = await loop.RunToEndAsync(async (serve, batch) =>
        {
            var files = Sdk(serve).GetOpenAIFileClient();
            using var http = serve.CreateClient();
            return (
                batch,
                (await files.DownloadFileAsync(batch.GetProperty("output_file_id").GetString()!)).Value.ToArray(),
                (await files.DownloadFileAsync(batch.GetProperty("error_file_id").GetString()!)).Value.ToArray(),
                await http.GetByteArrayAsync($"v1/batches/{loop.BatchId}/results"),
                serve.Cli.Error);
        });

        output.WriteLine($"kills landed: {string.Join(", ", landed)}; {env.ChatRequests} requests sent for {Lines} lines in {loop.Runs} runs; the last run: {lastRun}");
        Assert.True(loop.Kills >= 5, $"only {loop.Kills} kills landed while the batch ran");
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        var check = ExactlyOnceCheck.Of([.. Expected(Lines)], outputLines, errorLines);
        Assert.True(check.Holds, check.ToString());
        Assert.Equal(Lines / 50, check.ErrorLines);
        Assert.All(check.Errors, error => Assert.Equal(400, error.Status));
        AssertCounts(batch, Lines, check.OutputLines, check.ErrorLines);
        Assert.Equal(outputLines, results);
    }

    [Fact]
    public async Task Serve_KilledRightAfterACancel_NextStartEndsTheBatchCancelledWithEveryCustomIdExactlyOnce()
    {
        const int Lines = 300;
        await using var env = await StartAsync();
        env.Gateway.Options.Latency = TimeSpan.FromMilliseconds(5);
        var loop = LoopOn(env);

        // The cancel answered, the server killed at once: before, while or after it records the lines it did not run.
        await loop.KillAfterRequestsAsync(0, async serve =>
        {
            var operation = await CreateBatchAsync(serve, ChatLines(Lines));
            loop.BatchId = operation.BatchId;
            await env.Gateway.WaitForRequestsAsync(20).WaitAsync(ServeApi.EndTimeout);
            await operation.CancelAsync(options: null);
        });
        var sentBeforeTheKill = env.ChatRequests;
        var (batch, outputLines, errorLines) = await loop.RunToEndAsync(async (serve, batch) =>
        {
            using var http = serve.CreateClient();
            return (batch, await ServeApi.DownloadAsync(http, batch.GetProperty("output_file_id").GetString()), await ServeApi.DownloadAsync(http, batch.GetProperty("error_file_id").GetString()));
        });

        Assert.Equal("cancelled", batch.GetProperty("status").GetString());
        var check = ExactlyOnceCheck.Of([.. Expected(Lines)], outputLines, errorLines);
        Assert.True(check.Holds, check.ToString());
        Assert.All(check.Errors, error => Assert.Equal("batch_cancelled", error.Code));
        Assert.InRange(check.ErrorLines, 1, Lines - 1);
        AssertCounts(batch, Lines, check.OutputLines, check.ErrorLines);
        Assert.Equal(sentBeforeTheKill, env.ChatRequests); // nothing more was sent once cancelled
    }

    /// <summary>serve on the test's gateway and store, to kill and start again.</summary>
    internal static ServeCrashLoop LoopOn(BatchTestEnvironment env) =>
        new(env.Gateway, ["--gateway", env.Gateway.Endpoint.ToString(), "--state-dir", env.StoreDirectory], env.StoreDirectory);

    /// <summary>Uploads the batch file and creates its batch with the OpenAI SDK.</summary>
    internal static async Task<CreateBatchOperation> CreateBatchAsync(ServeProcess serve, string lines)
    {
        var client = Sdk(serve);
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(lines));
        OpenAIFile file = await client.GetOpenAIFileClient().UploadFileAsync(content, "requests.jsonl", FileUploadPurpose.Batch);
        var body = BinaryData.FromObjectAsJson(new { input_file_id = file.Id, endpoint = Chat, completion_window = "24h" });
        return await client.GetBatchClient().CreateBatchAsync(BinaryContent.Create(body), waitUntilCompleted: false);
    }

    /// <summary>The SDK's client on the server, without retries (a killed server must fail the call, not be waited for).</summary>
    internal static OpenAIClient Sdk(ServeProcess serve) =>
        new(new ApiKeyCredential("unused-key"), new OpenAIClientOptions { Endpoint = new Uri(serve.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

    /// <summary>The batch's request_counts agree with its input and its files.</summary>
    internal static void AssertCounts(JsonElement batch, int total, int outputLines, int errorLines)
    {
        var counts = batch.GetProperty("request_counts");
        Assert.Equal(
            (total, outputLines, errorLines),
            (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32()));
    }
}
