using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Queue;

/// <summary>Gateway clients on MockHttp, with one quick retry, for the queue's tests.</summary>
internal static class QueueTestGateway
{
    public const string CompletionJson = """{"id":"cmpl-1","object":"text_completion","model":"tiny.gguf","choices":[{"index":0,"text":"an old silent pond","finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}""";

    public const string ChatJson = """{"id":"chatcmpl-1","object":"chat.completion","model":"tiny.gguf","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}]}""";

    public const string EmbeddingJson = """{"object":"list","model":"tiny.gguf","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25]}]}""";

    /// <summary>A client whose server answers nothing (for tests that only queue delegate work).</summary>
    public static LocalGatewayClient CreateClient() => CreateClient(new MockHttpMessageHandler());

    public static LocalGatewayClient CreateClient(MockHttpMessageHandler mock, int maxConcurrency = 0) =>
        new(
            new HttpClient(mock) { BaseAddress = new Uri("http://127.0.0.1:8080/") },
            Options.Create(new LocalBatchOptions
            {
                Endpoint = new Uri("http://127.0.0.1:8080"),
                MaxConcurrency = maxConcurrency,
                MaxRetryAttempts = 1,
                RetryBaseDelay = TimeSpan.FromMilliseconds(1),
                MaxRetryDelay = TimeSpan.FromMilliseconds(1),
            }));

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}
