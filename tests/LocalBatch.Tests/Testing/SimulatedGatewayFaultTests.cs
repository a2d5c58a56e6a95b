using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>Injected faults: queued, selected, random.</summary>
public sealed class SimulatedGatewayFaultTests
{
    [Fact]
    public async Task EnqueueFault_ServiceUnavailable_Returns503LoadingModel()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable));

        using var faulted = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        using var next = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");

        Assert.Equal("""{"error":{"message":"Loading model","type":"unavailable_error","code":503}}""", await faulted.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, faulted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, gateway.Counters.FaultsInjected);
    }

    [Fact]
    public async Task EnqueueFault_TooManyRequests_Returns429WithRetryAfter()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.TooManyRequests) { RetryAfter = TimeSpan.FromSeconds(1.5) });
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.TooManyRequests));

        using var first = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        using var second = await PostAsync(http, "/v1/chat/completions", """{"messages":[]}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), first.Headers.RetryAfter!.Delta);
        Assert.Equal(TimeSpan.FromSeconds(1), second.Headers.RetryAfter!.Delta);
        Assert.Equal("""{"error":{"code":429,"message":"Too many requests","type":"rate_limit_error"}}""", await first.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EnqueueFault_InternalServerError_Returns500()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.InternalServerError));

        using var response = await PostAsync(http, "/v1/embeddings", """{"input":"x"}""");

        Assert.Equal("""{"error":{"code":500,"message":"Internal server error","type":"server_error"}}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EnqueueFault_BadRequest_Returns400WithMessage()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.BadRequest) { Message = "nope" });
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.BadRequest));

        using var first = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        using var second = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");

        await AssertErrorAsync(first, HttpStatusCode.BadRequest, "invalid_request_error", "nope");
        await AssertErrorAsync(second, HttpStatusCode.BadRequest, "invalid_request_error", "Invalid request");
    }

    [Fact]
    public async Task EnqueueFault_ConnectionReset_ThrowsHttpRequestException()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ConnectionReset));

        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(http, "/v1/completions", """{"prompt":"x"}"""));
        using var next = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, gateway.Counters.FaultsInjected);
        Assert.Equal(1, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task EnqueueFault_TruncatedBody_Returns200WithInvalidJsonAndConnectionStaysUsable()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.TruncatedBody));

        using var truncated = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        var body = await truncated.Content.ReadAsStringAsync();
        using var next = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        var full = await next.Content.ReadAsStringAsync();
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, truncated.StatusCode);
        Assert.Equal("application/json", truncated.Content.Headers.ContentType!.MediaType);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
        Assert.InRange(body.Length, (full.Length / 2) - 40, (full.Length / 2) + 40);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task EnqueueFault_TruncatedStream_EndsWithoutDone()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.TruncatedBody));

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x","stream":true}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("data: {", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnqueueFault_SlowResponse_AnswersNormallyAfterDelay()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.SlowResponse) { Delay = TimeSpan.FromMilliseconds(150) });

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        await gateway.WaitForIdleAsync().WaitAsync(RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(140), $"took {stopwatch.Elapsed}");
        Assert.Equal(1, gateway.Counters.FaultsInjected);
        Assert.Equal(1, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task EnqueueFault_WithPath_SkipsOtherPathsAndKeepsOrder()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.InternalServerError) { Path = "/v1/embeddings" });
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable));
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.BadRequest));

        using var health = await http.GetAsync("/health");
        using var completion1 = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        using var completion2 = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        using var embedding = await PostAsync(http, "/v1/embeddings", """{"input":"x"}""");
        using var completion3 = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, completion1.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, completion2.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, embedding.StatusCode);
        Assert.Equal(HttpStatusCode.OK, completion3.StatusCode);
        Assert.Equal(3, gateway.Counters.FaultsInjected);
    }

    [Fact]
    public async Task EnqueueFault_ExplicitNonGenerationPath_Applies()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable) { Path = "/health" });

        using var first = await http.GetAsync("/health");
        using var second = await http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task FaultSelector_SeesRequest_FaultsChosenRequests()
    {
        var seen = new List<(string Path, long Sequence, string? Prompt)>();
        var options = new SimulatedGatewayOptions
        {
            FaultSelector = r =>
            {
                lock (seen)
                {
                    seen.Add((r.Path, r.Sequence, (string?)r.Body?["prompt"]));
                }

                return (string?)r.Body?["prompt"] == "fail" ? new SimulatedFault(SimulatedFaultKind.TooManyRequests) : null;
            },
        };
        await using var gateway = await SimulatedGateway.StartAsync(options);
        using var http = CreateClient(gateway);

        using var health = await http.GetAsync("/health");
        using var ok = await PostAsync(http, "/v1/completions", """{"prompt":"pass"}""");
        using var failed = await PostAsync(http, "/v1/completions", """{"prompt":"fail"}""");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, failed.StatusCode);
        Assert.Equal([("/v1/completions", 2L, "pass"), ("/v1/completions", 3L, "fail")], seen);
        Assert.Equal(1, gateway.Counters.FaultsInjected);
    }

    [Fact]
    public async Task FaultSelector_Throws_Returns500WithMessage()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { FaultSelector = _ => throw new InvalidOperationException("boom") });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        var message = await AssertErrorAsync(response, HttpStatusCode.InternalServerError, "server_error", null);

        Assert.Contains("boom", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FaultRate_One_FaultsEveryGenerationRequestOnly()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new()
        {
            FaultRate = 1,
            RandomFaultKinds = [SimulatedFaultKind.TooManyRequests, SimulatedFaultKind.InternalServerError],
        });
        using var http = CreateClient(gateway);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
            statuses.Add(response.StatusCode);
        }

        using var health = await http.GetAsync("/health");
        gateway.Options.FaultRate = 0;
        using var after = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");

        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.TooManyRequests, HttpStatusCode.InternalServerError }));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Contains(HttpStatusCode.InternalServerError, statuses);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(10, gateway.Counters.FaultsInjected);
    }

    [Fact]
    public async Task FaultRate_SameSeed_SameSequence()
    {
        static async Task<string> RunAsync()
        {
            await using var gateway = await SimulatedGateway.StartAsync(new() { FaultRate = 0.5, FaultSeed = 7 });
            using var http = CreateClient(gateway);
            var sequence = new StringBuilder();
            for (var i = 0; i < 20; i++)
            {
                using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
                sequence.Append(response.IsSuccessStatusCode ? '.' : 'F');
            }

            return sequence.ToString();
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains('F', first);
        Assert.Contains('.', first);
    }

    [Fact]
    public async Task GetFaults_CountsEachKindAndResetClearsThem()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable));
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.InternalServerError));
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable));

        for (var i = 0; i < 4; i++)
        {
            using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        }

        Assert.Equal(
            (2L, 1L, 0L, 3L),
            (gateway.Counters.GetFaults(SimulatedFaultKind.ServiceUnavailable), gateway.Counters.GetFaults(SimulatedFaultKind.InternalServerError),
             gateway.Counters.GetFaults(SimulatedFaultKind.ConnectionReset), gateway.Counters.FaultsInjected));
        gateway.Counters.Reset();
        Assert.Equal(0, gateway.Counters.GetFaults(SimulatedFaultKind.ServiceUnavailable));
        Assert.Equal(0, gateway.Counters.GetFaults((SimulatedFaultKind)99));
    }
}
