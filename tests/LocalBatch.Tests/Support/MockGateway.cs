using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RichardSzalay.MockHttp;

namespace LocalBatch.Tests.Support;

/// <summary>Builds a <see cref="LocalGatewayClient"/> over a MockHttp handler, with fast retries.</summary>
internal static class MockGateway
{
    public const string BaseUrl = "http://127.0.0.1:8080";

    public static LocalBatchOptions FastOptions(Action<LocalBatchOptions>? configure = null)
    {
        var options = new LocalBatchOptions
        {
            Endpoint = new Uri(BaseUrl),
            MaxRetryAttempts = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
        };
        configure?.Invoke(options);
        return options;
    }

    public static LocalGatewayClient CreateClient(
        MockHttpMessageHandler handler,
        Action<LocalBatchOptions>? configure = null,
        ILogger<LocalGatewayClient>? logger = null,
        TimeProvider? timeProvider = null)
    {
        var options = FastOptions(configure);
        return new LocalGatewayClient(new HttpClient(handler), Options.Create(options), logger, meterFactory: null, timeProvider);
    }

    public static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    public static string ErrorBody(int code, string type, string message) =>
        $$$"""{"error":{"code":{{{code}}},"message":"{{{message}}}","type":"{{{type}}}"}}""";
}
