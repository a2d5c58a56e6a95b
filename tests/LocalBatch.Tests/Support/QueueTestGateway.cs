using System.Net;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Support;

/// <summary>Gateway clients on MockHttp, with one quick retry, for the queue's tests.</summary>
internal static class QueueTestGateway
{
    public const string CompletionJson = """{"id":"cmpl-1","object":"text_completion","model":"tiny.gguf","choices":[{"index":0,"text":"an old silent pond","finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}""";

    public const string ChatJson = """{"id":"chatcmpl-1","object":"chat.completion","model":"tiny.gguf","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}]}""";

    public const string EmbeddingJson = """{"object":"list","model":"tiny.gguf","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25]}]}""";

    /// <summary>A client whose server answers nothing (for tests that only queue delegate work).</summary>
    public static LocalGatewayClient CreateClient() => CreateClient(new MockHttpMessageHandler());

    public static LocalGatewayClient CreateClient(MockHttpMessageHandler mock, int maxConcurrency = 0) =>
        MockGateway.CreateClient(mock, o =>
        {
            o.MaxConcurrency = maxConcurrency;
            o.MaxRetryAttempts = 1;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(1);
        });

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) => MockGateway.Json(json, status);
}
