using System.Text;
using LocalBatch.Server.Tests.Reliability.Harness;
using LocalBatch.Tests.Reliability.Harness;
using Xunit.Abstractions;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Reliability;

/// <summary>
/// localbatch serve on a store that is full (a small tmpfs; without root, a file-size limit on the process): an upload,
/// or the input of a new batch, that does not fit is a 507 in OpenAI's shape — never a 400 blaming the request, never
/// a path of the server — nothing of it is kept, and once there is room the same requests work.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ServeFullDiskTests(ITestOutputHelper output)
{
    // fileSizeLimit: each file limited (EFBIG, as on FAT32) rather than the disk full (ENOSPC), even where a tmpfs can be had.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Serve_StoreFull_UploadAndBatchInputAre507WithoutAPath_AndWorkOnceThereIsRoom(bool fileSizeLimit)
    {
        const int Lines = 1000; // about 145 KB: fits a 256 KB store once, not twice
        await using var env = await StartAsync();
        var state = Path.Combine(env.StoreDirectory, "state");
        using var store = LimitedStore.Create(state, kilobytes: 256, fileSizeLimit);
        string[] options = ["--gateway", env.Gateway.Endpoint.ToString(), "--state-dir", state];
        var input = Encoding.UTF8.GetBytes(ChatLines(Lines));
        string fileId;

        await using (var serve = await ServeProcess.StartAsync(options, store.FileSizeLimitKilobytes))
        {
            using var http = serve.CreateClient();
            var tooLarge = await http.PostAsync("v1/files", Upload(new byte[1 << 20]));
            await AssertFullAsync(tooLarge, state);
            Assert.Empty(Directory.GetFiles(state, "*", SearchOption.AllDirectories));

            fileId = await ServeApi.UploadAsync(http, input);
            if (store.IsTmpfs)
            {
                // The input's copy in the batch's folder does not fit beside the upload: no batch runs.
                var create = await http.PostAsync("v1/batches", Files.FilesApiTests.JsonBody(new { input_file_id = fileId, endpoint = Chat, completion_window = "24h" }));
                await AssertFullAsync(create, state);
                var failed = (await JsonAsync(await http.GetAsync("v1/batches"))).GetProperty("data")[0];
                Assert.Equal(("failed", "validation_interrupted"), (failed.GetProperty("status").GetString(), failed.GetProperty("errors").GetProperty("data")[0].GetProperty("code").GetString()));
                Assert.Empty(Directory.GetFiles(state, "input.jsonl*", SearchOption.AllDirectories));
            }

            Assert.Equal(200, (int)(await http.GetAsync("v1/batches")).StatusCode);
            // Logged before the 507 was answered, but read from the child's stderr on its own time: waited for, not looked up.
            await serve.Cli.WaitForErrorLineAsync(line => line.Contains("the store is full; the client got a 507", StringComparison.Ordinal), ServeProcess.StartTimeout);
            output.WriteLine(store.IsTmpfs ? "tmpfs" : "file-size limit");
        }

        Assert.Equal(0, env.ChatRequests);
        store.Resize(64 * 1024);
        await using (var serve = await ServeProcess.StartAsync(options, store.FileSizeLimitKilobytes))
        {
            using var http = serve.CreateClient();
            var batch = await ServeApi.WaitForEndAsync(http, (await ServeApi.CreateBatchAsync(http, fileId, Chat)).GetProperty("id").GetString()!);
            var check = ExactlyOnceCheck.Of(
                [.. Expected(Lines)],
                await ServeApi.DownloadAsync(http, batch.GetProperty("output_file_id").GetString()),
                await ServeApi.DownloadAsync(http, batch.GetProperty("error_file_id").GetString()));

            Assert.Equal("completed", batch.GetProperty("status").GetString());
            // The batch object in the message: an end shown without its file ids once looked like lost lines here.
            Assert.True(check.Holds && check.OutputLines == Lines, $"{check}; the batch: {batch}");
            Assert.Equal(200, (int)(await http.PostAsync("v1/files", Upload(new byte[1 << 20]))).StatusCode);
        }
    }

    private static MultipartFormDataContent Upload(byte[] content) =>
        new() { { new ByteArrayContent(content), "file", "big.jsonl" }, { new StringContent("batch"), "purpose" } };

    private static async Task AssertFullAsync(HttpResponseMessage response, string state)
    {
        var text = await response.Content.ReadAsStringAsync();
        var error = await ErrorAsync(response, 507);
        Assert.Equal(("server_error", "insufficient_storage"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.DoesNotContain(state, text, StringComparison.Ordinal);
    }
}
