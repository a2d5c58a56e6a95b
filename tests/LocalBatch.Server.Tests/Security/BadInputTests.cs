using System.Net.Http.Headers;
using System.Text;
using LocalBatch.Server.Tests.Files;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Security;

/// <summary>The HTTP inputs of the bad-input corpus: each gets a clear OpenAI error, never a crash or a stack trace.</summary>
public sealed class BadInputTests
{
    private const string Boundary = "----test-boundary";

    [Theory]
    [InlineData("GET", "/v1/files/..%2F..%2Fbatch.json")]
    [InlineData("GET", "/v1/files/..%2F..%2Fetc%2Fpasswd/content")]
    [InlineData("GET", "/v1/files/%2e%2e%2f%2e%2e%2ffiles%2fx.data/content")]
    [InlineData("DELETE", "/v1/files/file-0123456789abcdef0123456789abcdef%2F..%2F..%2Fx")]
    [InlineData("GET", "/v1/files/file-..%5C..%5Cx")]
    [InlineData("GET", "/v1/batches/..%2F..%2Fetc")]
    [InlineData("GET", "/v1/batches/batch_..%2F..%2Fetc/results")]
    [InlineData("POST", "/v1/batches/batch_%2E%2E%2Ffiles/cancel")]
    [InlineData("GET", "/v1/batches/batch_abc%2Fbatch.json")]
    public async Task IdWithPathCharacters_Is400AndReadsNothing(string method, string path)
    {
        await using var env = await ServeAsync();
        await env.UploadAsync(ChatLines(1));

        var response = await env.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var error = await ErrorAsync(response, 400);
        Assert.Contains("not a valid", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task InputFileIdWithPathCharacters_Is404AndReadsNothing()
    {
        await using var env = await ServeAsync();
        var body = FilesApiTests.JsonBody(new { input_file_id = "../files/x", endpoint = Chat, completion_window = "24h" });

        var response = await env.Http.PostAsync("/v1/batches", body);

        Assert.Equal("input_file_id", (await ErrorAsync(response, 404)).GetProperty("param").GetString());
        Assert.Empty((await env.Batches.ListAsync()).Data);
    }

    public static TheoryData<string, string?, string> BadUploads => new()
    {
        { "not multipart", "application/json", """{"file": "x", "purpose": "batch"}""" },
        { "no content type", null, "file=x&purpose=batch" },
        { "form urlencoded", "application/x-www-form-urlencoded", "file=x&purpose=batch" },
        { "no boundary", "multipart/form-data", Part("purpose", null, "batch") + End },
        { "body is not multipart", Multipart, "just some text" },
        { "no final boundary", Multipart, Part("purpose", null, "batch") + Part("file", "a.jsonl", ChatLine("a")) },
        { "part without disposition", Multipart, $"--{Boundary}\r\nContent-Type: text/plain\r\n\r\nbatch\r\n" + End },
        { "header too long", Multipart, $"--{Boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\nX-Long: {new string('x', 20_000)}\r\n\r\nbatch\r\n" + End },
        { "two files", Multipart, Part("purpose", null, "batch") + Part("file", "a.jsonl", ChatLine("a")) + Part("file", "b.jsonl", ChatLine("b")) + End },
        { "purpose too long", Multipart, Part("purpose", null, new string('b', 5000)) + Part("file", "a.jsonl", ChatLine("a")) + End },
        { "empty body", Multipart, string.Empty },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task BadUpload_Is400AndKeepsNothing(string name, string? contentType, string body)
    {
        await using var env = await ServeAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var response = await env.Http.PostAsync("/v1/files", content);

        Assert.False(string.IsNullOrEmpty(name));
        await ErrorAsync(response, 400);
        Assert.Empty(Directory.GetFiles(Path.Combine(env.Env.StoreDirectory, "files")));
    }

    [Fact]
    public async Task UploadFile_DeclaredLengthOverTheLimit_Is413BeforeReadingIt()
    {
        await using var env = await ServeAsync(o => o.MaxUploadSize = 1024);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Part("purpose", null, "batch") + Part("file", "a.jsonl", new string('x', 200_000)) + End));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(Multipart);

        var response = await env.Http.PostAsync("/v1/files", content);

        await ErrorAsync(response, 413);
        Assert.Empty(Directory.GetFiles(Path.Combine(env.Env.StoreDirectory, "files")));
    }

    [Fact]
    public async Task UploadFile_NameWithFolders_KeepsTheNameOnlyAndStaysInTheStore()
    {
        await using var env = await ServeAsync();

        var response = await env.Http.PostAsync("/v1/files", FilesApiTests.Multipart(ChatLines(1), "../../outside\\evil.jsonl", "batch"));
        var file = await JsonAsync(response);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("evil.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal(2, Directory.GetFiles(Path.Combine(env.Env.StoreDirectory, "files")).Length);
        Assert.False(File.Exists(Path.Combine(env.Env.StoreDirectory, "..", "outside", "evil.jsonl")));
    }

    private static string Multipart => $"multipart/form-data; boundary={Boundary}";

    private static string End => $"--{Boundary}--\r\n";

    private static string Part(string name, string? fileName, string value) =>
        $"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{(fileName is null ? string.Empty : $"; filename=\"{fileName}\"")}\r\n\r\n{value}\r\n";
}
