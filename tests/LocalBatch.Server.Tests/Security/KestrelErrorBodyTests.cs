using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LocalBatch.Server.Internal;
using LocalBatch.Server.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Security;

/// <summary>The errors Kestrel answers itself, before any endpoint runs, come back in OpenAI's error shape (defect 6).</summary>
public sealed class KestrelErrorBodyTests
{
    public static TheoryData<string, string, int> Requests => new()
    {
        { "bad request line", "GARBAGE\r\n\r\n", 400 },
        { "Content-Length: abc", "POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 400 },
        { "URL over 8 KB", $"GET /v1/files/{new string('a', 9000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414 },
        { "headers over 32 KB", $"GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {new string('b', 40_000)}\r\n\r\n", 431 },
        { "HTTP/1.1 without Host", "GET /v1/files HTTP/1.1\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task KestrelsOwnError_HasOpenAIsErrorBody(string what, string request, int status)
    {
        await using var env = await ServeAsync();

        var (head, body) = await SendRawAsync(env, request);

        Assert.True(head.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{what}: {head}");
        Assert.Contains("Content-Type: application/json", head, StringComparison.Ordinal);
        AssertOpenAIError(body);
    }

    [Fact]
    public async Task RequestHeadersTimeout_Is408WithOpenAIsErrorBody()
    {
        await using var env = await ServeAsync(configureHost: host =>
            host.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromMilliseconds(500)));

        // The headers never end: Kestrel's own timeout answers (the read below waits for that answer, nothing else).
        var (head, body) = await SendRawAsync(env, "GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\n");

        Assert.StartsWith("HTTP/1.1 408 ", head, StringComparison.Ordinal);
        Assert.Equal("request_timeout", AssertOpenAIError(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task AppAnswers_PassUnchanged()
    {
        await using var env = await ServeAsync();

        var (head, body) = await SendRawAsync(env, "GET /v1/files/file-x%2F..%2Fy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400 ", head, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"invalid_file_id\"", body, StringComparison.Ordinal); // the endpoint's own error, chunked as it was sent
        Assert.Null(KestrelErrorWriter.KestrelStatus("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n"u8));
        Assert.Null(KestrelErrorWriter.KestrelStatus("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8));
        Assert.Equal(431, KestrelErrorWriter.KestrelStatus("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\nDate: Sun, 06 Dec 2026 04:00:00 GMT\r\n\r\n"u8));
    }

    private static JsonElement AssertOpenAIError(string body)
    {
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.True(error.TryGetProperty("param", out _));
        Assert.Equal(JsonValueKind.String, error.GetProperty("code").ValueKind);
        return error.Clone();
    }

    /// <summary>Sends raw bytes to the server on 127.0.0.1 and reads the answer until the server closes the connection.</summary>
    private static async Task<(string Head, string Body)> SendRawAsync(ServerTestEnvironment env, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", env.Server.BaseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (IOException)
        {
            // Reset after the answer (Kestrel closes with the rest of a large request unread).
        }

        var text = Encoding.UTF8.GetString(answer.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no answer: '{text}'");
        return (text[..end], text[(end + 4)..]);
    }
}
