using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Security;

/// <summary>
/// A store damaged under the server (a batch's state that is no longer JSON, an uploaded file's object likewise): each
/// request that needs it gets a 500 in OpenAI's shape, or a 404, with no stack trace, exception or path in it; the
/// error goes to the log; everything else goes on being served.
/// </summary>
public sealed class DamagedStoreTests
{
    [Fact]
    public async Task DamagedBatchState_Is500WithoutStackTraceOrPath_AndTheRestIsServed()
    {
        await using var env = await ServeAsync();
        var damaged = await env.RunBatchAsync(ChatLines(2));
        var intact = await env.RunBatchAsync(ChatLines(1));
        await File.WriteAllTextAsync(Path.Combine(env.Env.StoreDirectory, damaged.Id, "batch.json"), "{\"id\": \"batch_");

        foreach (var (method, path) in new[] { ("GET", $"/v1/batches/{damaged.Id}"), ("POST", $"/v1/batches/{damaged.Id}/cancel"), ("GET", $"/v1/batches/{damaged.Id}/results") })
        {
            var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            var text = await response.Content.ReadAsStringAsync();

            var error = await ErrorAsync(response, 500);
            Assert.Equal("server_error", error.GetProperty("type").GetString());
            Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
            Assert.DoesNotContain(env.Env.StoreDirectory, text, StringComparison.Ordinal);
            Assert.DoesNotContain("batch.json", text, StringComparison.Ordinal);
        }

        var listed = await JsonAsync(await env.Http.GetAsync("/v1/batches"));
        Assert.Equal([intact.Id], listed.GetProperty("data").EnumerateArray().Select(batch => batch.GetProperty("id").GetString()));
        Assert.Equal(200, (int)(await env.Http.GetAsync($"/v1/files/{intact.OutputFileId}/content")).StatusCode);
        Assert.Contains(env.Logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal) && line.Contains("InvalidDataException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DamagedFileObject_Is404AndUnlisted_AndTheRestIsServed()
    {
        await using var env = await ServeAsync();
        var damaged = await env.UploadAsync(ChatLines(1));
        var intact = await env.UploadAsync(ChatLines(1));
        await File.WriteAllTextAsync(Path.Combine(env.Env.StoreDirectory, "files", damaged.Id + ".json"), "not json");

        var get = await env.Http.GetAsync($"/v1/files/{damaged.Id}");
        var create = await env.Http.PostAsync("/v1/batches", Files.FilesApiTests.JsonBody(new { input_file_id = damaged.Id, endpoint = Chat, completion_window = "24h" }));
        var listed = await JsonAsync(await env.Http.GetAsync("/v1/files"));

        await ErrorAsync(get, 404);
        Assert.Equal("input_file_id", (await ErrorAsync(create, 404)).GetProperty("param").GetString());
        Assert.Equal([intact.Id], listed.GetProperty("data").EnumerateArray().Select(file => file.GetProperty("id").GetString()));
        Assert.Contains(env.Logs.Lines, line => line.StartsWith("Warning", StringComparison.Ordinal) && line.Contains(damaged.Id, StringComparison.Ordinal));
        Assert.Empty((await env.Batches.ListAsync()).Data);
    }
}
