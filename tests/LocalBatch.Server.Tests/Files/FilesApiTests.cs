using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI.Files;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Files;

public sealed class FilesApiTests
{
    [Fact]
    public async Task UploadFile_BatchPurpose_ReturnsOpenAIFileObject()
    {
        await using var env = await ServeAsync();
        var content = ChatLines(3);

        var file = await env.UploadAsync(content, "requests.jsonl");

        Assert.StartsWith("file-", file.Id, StringComparison.Ordinal);
        Assert.Equal(FilePurpose.Batch, file.Purpose);
        Assert.Equal(Encoding.UTF8.GetByteCount(content), file.SizeInBytesLong);
        Assert.Equal("requests.jsonl", file.Filename);
        Assert.Null(file.ExpiresAt);
        var again = (await env.Files.GetFileAsync(file.Id)).Value;
        Assert.Equal((file.Id, file.Filename, file.SizeInBytesLong, file.CreatedAt), (again.Id, again.Filename, again.SizeInBytesLong, again.CreatedAt));
        var raw = await JsonAsync(await env.Http.GetAsync($"/v1/files/{file.Id}"));
        Assert.Equal("file", raw.GetProperty("object").GetString());
        Assert.Equal("processed", raw.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, raw.GetProperty("expires_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, raw.GetProperty("status_details").ValueKind);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task UploadFile_CrlfContentAndNameWithoutExtension_KeepsTheBytesAndRuns()
    {
        await using var env = await ServeAsync();
        var content = ChatLines(3).Replace("\n", "\r\n", StringComparison.Ordinal);

        var file = await env.UploadAsync(content, "requests");
        var downloaded = (await env.Files.DownloadFileAsync(file.Id)).Value;
        var (_, batch) = await env.CreateBatchAsync(file.Id);
        var job = await env.WaitAsync(batch.GetProperty("id").GetString()!);

        Assert.Equal("requests", file.Filename);
        Assert.Equal(Encoding.UTF8.GetBytes(content), downloaded.ToArray());
        Assert.Equal(LocalBatch.Batches.BatchStatus.Completed, job.Status);
        Assert.Equal(new LocalBatch.Batches.BatchRequestCounts(3, 3, 0), job.RequestCounts);
    }

    [Fact]
    public async Task ListFiles_PurposeOrderAndPaging_AsOpenAI()
    {
        await using var env = await ServeAsync();
        var batchFiles = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            batchFiles.Add((await env.UploadAsync(ChatLines(1), $"part{i}.jsonl")).Id);
        }

        var other = await env.UploadAsync("notes", "notes.txt", FileUploadPurpose.UserData);

        var sdkList = (await env.Files.GetFilesAsync(FilePurpose.Batch)).Value;
        var first = await JsonAsync(await env.Http.GetAsync("/v1/files?limit=2&order=asc"));
        var rest = await JsonAsync(await env.Http.GetAsync($"/v1/files?limit=2&order=asc&after={first.GetProperty("last_id").GetString()}"));
        var newestFirst = await JsonAsync(await env.Http.GetAsync("/v1/files"));

        Assert.Equal(batchFiles.AsEnumerable().Reverse(), sdkList.Select(f => f.Id));
        Assert.Equal("list", first.GetProperty("object").GetString());
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal(batchFiles[0], first.GetProperty("first_id").GetString());
        Assert.Equal(batchFiles[1], first.GetProperty("last_id").GetString());
        Assert.False(rest.GetProperty("has_more").GetBoolean());
        Assert.Equal([batchFiles[2], other.Id], Ids(rest));
        Assert.Equal([other.Id, .. batchFiles.AsEnumerable().Reverse()], Ids(newestFirst));
    }

    [Fact]
    public async Task DeleteFile_ThenEveryUseIs404InOpenAIShape()
    {
        await using var env = await ServeAsync();
        var file = await env.UploadAsync(ChatLines(1));

        var deleted = (await env.Files.DeleteFileAsync(file.Id)).Value;
        var get = await Assert.ThrowsAsync<ClientResultException>(() => env.Files.GetFileAsync(file.Id));
        var content = await env.Http.GetAsync($"/v1/files/{file.Id}/content");
        var again = await env.Http.DeleteAsync($"/v1/files/{file.Id}");
        var create = await env.Http.PostAsync("/v1/batches", JsonBody(new { input_file_id = file.Id, endpoint = Chat, completion_window = "24h" }));

        Assert.True(deleted.Deleted);
        Assert.Equal(file.Id, deleted.FileId);
        Assert.Equal(404, get.Status);
        Assert.Contains(file.Id, (await ErrorAsync(content, 404)).GetProperty("message").GetString(), StringComparison.Ordinal);
        await ErrorAsync(again, 404);
        Assert.Equal("input_file_id", (await ErrorAsync(create, 404)).GetProperty("param").GetString());
        Assert.Empty(Directory.GetFiles(Path.Combine(env.Env.StoreDirectory, "files")));
    }

    [Fact]
    public async Task BatchOutputAndErrorFiles_AreFilesWithPurposeBatchOutput()
    {
        await using var env = await ServeAsync();
        var job = await env.RunBatchAsync(ChatLines(3, i => i == 2 ? "FAIL" : "ok " + i));

        var output = (await env.Files.GetFileAsync(job.OutputFileId!)).Value;
        var errors = (await env.Files.GetFileAsync(job.ErrorFileId!)).Value;
        var outputLines = (await env.Files.DownloadFileAsync(job.OutputFileId!)).Value.ToString();
        var errorLines = (await env.Files.DownloadFileAsync(job.ErrorFileId!)).Value.ToString();
        var listed = (await env.Files.GetFilesAsync(FilePurpose.BatchOutput)).Value;

        Assert.Equal(FilePurpose.BatchOutput, output.Purpose);
        Assert.Equal(FilePurpose.BatchOutput, errors.Purpose);
        Assert.Equal(Encoding.UTF8.GetByteCount(outputLines), output.SizeInBytesLong);
        Assert.Equal(["req-1", "req-3"], CustomIds(outputLines).Order(StringComparer.Ordinal));
        Assert.Equal(["req-2"], CustomIds(errorLines));
        Assert.Equal(new[] { job.OutputFileId, job.ErrorFileId }.Order(StringComparer.Ordinal), listed.Select(f => f.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UploadFile_NameWithFolders_KeepsTheNameOnlyAndStaysInTheStore()
    {
        await using var env = await ServeAsync();

        var response = await env.Http.PostAsync("/v1/files", Multipart(ChatLines(1), "../../outside\\evil.jsonl", "batch"));
        var file = await JsonAsync(response);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("evil.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal(2, Directory.GetFiles(Path.Combine(env.Env.StoreDirectory, "files")).Length);
        Assert.False(File.Exists(Path.Combine(env.Env.StoreDirectory, "..", "outside", "evil.jsonl")));
    }

    [Fact]
    public async Task UploadFile_OverTheConfiguredLimit_Is413AndKeepsNothing()
    {
        await using var env = await ServeAsync(o => o.MaxUploadSize = 1024);

        var tooLarge = await env.Http.PostAsync("/v1/files", Multipart(new string('x', 4096), "big.jsonl", "batch"));
        var justFits = await env.Http.PostAsync("/v1/files", Multipart(new string('x', 1024), "fits.jsonl", "batch"));
        var sdk = await Assert.ThrowsAsync<ClientResultException>(() => env.UploadAsync(new string('y', 2000)));

        Assert.Equal("file", (await ErrorAsync(tooLarge, 413)).GetProperty("param").GetString());
        Assert.Equal(200, (int)justFits.StatusCode);
        Assert.Equal(413, sdk.Status);
        var fits = (await JsonAsync(justFits)).GetProperty("id").GetString();
        Assert.Equal([fits + ".data", fits + ".json"], Directory.GetFiles(Path.Combine(env.Env.StoreDirectory, "files")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null, "purpose")]
    [InlineData("bogus", "purpose")]
    public async Task UploadFile_MissingOrUnknownPurpose_Is400NamingIt(string? purpose, string param)
    {
        await using var env = await ServeAsync();

        var response = await env.Http.PostAsync("/v1/files", Multipart(ChatLines(1), "a.jsonl", purpose));

        Assert.Equal(param, (await ErrorAsync(response, 400)).GetProperty("param").GetString());
        Assert.Empty(Directory.GetFiles(Path.Combine(env.Env.StoreDirectory, "files")));
    }

    [Fact]
    public async Task UploadFile_NoFilePart_Is400NamingFile()
    {
        await using var env = await ServeAsync();
        using var content = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };

        var response = await env.Http.PostAsync("/v1/files", content);

        Assert.Equal("file", (await ErrorAsync(response, 400)).GetProperty("param").GetString());
    }

    public static MultipartFormDataContent Multipart(string text, string fileName, string? purpose)
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Add(file, "file", fileName);
        if (purpose is not null)
        {
            content.Add(new StringContent(purpose), "purpose");
        }

        return content;
    }

    public static StringContent JsonBody(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static List<string> Ids(JsonElement list) => [.. list.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()!)];
}
