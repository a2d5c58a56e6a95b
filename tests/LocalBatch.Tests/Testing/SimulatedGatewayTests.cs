using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalBatch.Testing;

namespace LocalBatch.Tests.Testing;

public sealed class SimulatedGatewayTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    // ---- Start and plain routes -------------------------------------------------------------------------

    [Fact]
    public async Task StartAsync_Default_ListensOnLoopbackFreePort()
    {
        await using var gateway = await SimulatedGateway.StartAsync();

        Assert.Equal("127.0.0.1", gateway.Endpoint.Host);
        Assert.NotEqual(0, gateway.Endpoint.Port);
        Assert.Equal("/", gateway.Endpoint.AbsolutePath);
        Assert.Equal(4, gateway.Options.Slots);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsWithEveryError()
    {
        var options = new SimulatedGatewayOptions { Slots = 0, FaultRate = 2 };

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => SimulatedGateway.StartAsync(options));

        Assert.Contains("Slots", exception.Message, StringComparison.Ordinal);
        Assert.Contains("FaultRate", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/v1/health")]
    public async Task Health_Ready_ReturnsStatusOk(string path)
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Props_Default_ReportsSlotsContextAndModel()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 3, ContextSize = 512, ModelName = "tiny.gguf" });
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync("/props");
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (int)json["total_slots"]!);
        Assert.Equal(512, (int)json["default_generation_settings"]!["n_ctx"]!);
        Assert.IsType<JsonObject>(json["default_generation_settings"]!["params"]);
        Assert.Equal("tiny.gguf", (string)json["model_path"]!);
        Assert.Equal("simulated", (string)json["build_info"]!);
    }

    [Fact]
    public async Task Props_Disabled_Returns404NotFound()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { EnableProps = false });
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync("/props");

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found_error", "File Not Found");
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/models")]
    public async Task Models_Default_ListsLoadedModel(string path)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ModelName = "tiny.gguf" });
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync(path);
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", (string)json["object"]!);
        var model = json["data"]![0]!;
        Assert.Equal("tiny.gguf", (string)model["id"]!);
        Assert.Equal("model", (string)model["object"]!);
        Assert.Equal("llamacpp", (string)model["owned_by"]!);
        Assert.True((long)model["created"]! > 1_600_000_000);
        Assert.Equal("tiny.gguf", (string)json["models"]![0]!["name"]!);
    }

    // ---- Completions --------------------------------------------------------------------------------------

    [Fact]
    public async Task Completions_StringPrompt_ReturnsLlamaServerShape()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ModelName = "tiny.gguf" });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"Hello there world","max_tokens":5,"model":"ignored"}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var choice = json["choices"]![0]!;
        Assert.Equal(5, ((string)choice["text"]!).Split(' ').Length);
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal(JsonValueKind.Null, choice.AsObject()["logprobs"]?.GetValueKind() ?? JsonValueKind.Null);
        Assert.True(choice.AsObject().ContainsKey("logprobs"));
        Assert.Equal("length", (string)choice["finish_reason"]!);
        Assert.True((long)json["created"]! > 1_600_000_000);
        Assert.Equal("tiny.gguf", (string)json["model"]!);
        Assert.Equal("simulated", (string)json["system_fingerprint"]!);
        Assert.Equal("text_completion", (string)json["object"]!);
        Assert.Equal(5, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal(3, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(8, (int)json["usage"]!["total_tokens"]!);
        Assert.Equal(0, (int)json["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        Assert.Matches("^chatcmpl-[A-Za-z0-9]{32}$", (string)json["id"]!);
        Assert.Equal(3, (int)json["timings"]!["prompt_n"]!);
        Assert.Equal(5, (int)json["timings"]!["predicted_n"]!);
        Assert.NotNull(json["timings"]!["prompt_ms"]);
        Assert.NotNull(json["timings"]!["predicted_ms"]);
    }

    [Fact]
    public async Task Completions_ArrayPromptAndN_ReturnsChoicePerPromptAndN()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":["one","two words","three more words"],"n":2,"max_tokens":4}""");
        var json = await ReadJsonAsync(response);

        var choices = json["choices"]!.AsArray();
        Assert.Equal(6, choices.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], choices.Select(c => (int)c!["index"]!));
        Assert.NotEqual((string)choices[0]!["text"]!, (string)choices[1]!["text"]!);
        Assert.Equal(24, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal(12, (int)json["usage"]!["prompt_tokens"]!);
    }

    [Theory]
    [InlineData("""{"prompt":"a"}""", 16)]
    [InlineData("""{"prompt":"a","max_tokens":3}""", 3)]
    [InlineData("""{"prompt":"a","n_predict":7}""", 7)]
    [InlineData("""{"prompt":"a","n_predict":7,"max_tokens":3}""", 7)]
    [InlineData("""{"prompt":"a","max_tokens":0}""", 0)]
    public async Task Completions_TokenLimits_SetCompletionTokens(string body, int expected)
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", body);
        var json = await ReadJsonAsync(response);

        Assert.Equal(expected, (int)json["usage"]!["completion_tokens"]!);
        var text = (string)json["choices"]![0]!["text"]!;
        Assert.Equal(expected, text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Completions_MaxTokensBeyondContext_StopsAtContext()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ContextSize = 10 });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"one two three","max_tokens":100}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(7, (int)json["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Completions_SamePrompt_SameTextAcrossGateways()
    {
        await using var first = await SimulatedGateway.StartAsync();
        await using var second = await SimulatedGateway.StartAsync();
        using var http1 = CreateClient(first);
        using var http2 = CreateClient(second);

        var a = await CompletionTextAsync(http1, "/v1/completions", "The same prompt");
        var b = await CompletionTextAsync(http2, "/v1/completions", "The same prompt");
        var c = await CompletionTextAsync(http1, "/completions", "The same prompt");
        var other = await CompletionTextAsync(http1, "/v1/completions", "Another prompt");

        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public async Task Completions_Stream_SendsChunksThenDone()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        var expected = await CompletionTextAsync(http, "/v1/completions", "Stream me");

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"Stream me","stream":true}""");
        var events = await ReadEventsAsync(response);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", (string)c["object"]!));
        Assert.Equal(expected, string.Concat(chunks.Select(c => (string)c["choices"]![0]!["text"]!)));
        Assert.Equal("length", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        Assert.Equal(16, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        Assert.Null(chunks[0]["choices"]![0]!["finish_reason"]);
    }

    // ---- Chat completions ---------------------------------------------------------------------------------

    [Fact]
    public async Task ChatCompletions_Messages_ReturnsLlamaServerShape()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        const string Body = """
            {"messages":[{"role":"system","content":"Be brief."},
                         {"role":"user","content":[{"type":"text","text":"Say three words"}]}],
             "max_tokens":6}
            """;

        using var response = await PostAsync(http, "/v1/chat/completions", Body);
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = json["choices"]![0]!;
        Assert.Equal("length", (string)choice["finish_reason"]!);
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal("assistant", (string)choice["message"]!["role"]!);
        Assert.Equal(6, ((string)choice["message"]!["content"]!).Split(' ').Length);
        Assert.Equal("chat.completion", (string)json["object"]!);
        Assert.Equal("simulated-model.gguf", (string)json["model"]!);
        Assert.Equal(2 + 3 + (2 * 4), (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(6, (int)json["usage"]!["completion_tokens"]!);
        Assert.StartsWith("chatcmpl-", (string)json["id"]!, StringComparison.Ordinal);
        Assert.NotNull(json["timings"]);
    }

    [Fact]
    public async Task ChatCompletions_Alias_SameAnswerAsV1()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        var a = await CompletionTextAsync(http, "/v1/chat/completions", "Hi");
        var b = await CompletionTextAsync(http, "/chat/completions", "Hi");

        Assert.Equal(a, b);
    }

    [Fact]
    public async Task ChatCompletions_Stream_SendsRoleDeltasFinalThenDone()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        var expected = await CompletionTextAsync(http, "/v1/chat/completions", "Stream chat");

        using var response = await PostAsync(http, "/v1/chat/completions", """{"messages":[{"role":"user","content":"Stream chat"}],"stream":true}""");
        var events = await ReadEventsAsync(response);

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        Assert.Equal("assistant", (string)chunks[0]["choices"]![0]!["delta"]!["role"]!);
        var content = string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"]));
        Assert.Equal(expected, content);
        Assert.Equal("length", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        Assert.NotNull(chunks[^1]["usage"]);
    }

    // ---- Embeddings ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Embeddings_ArrayInput_ReturnsNormalisedVectorsInOrder()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { EmbeddingDimensions = 8, ModelName = "tiny.gguf" });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/embeddings", """{"input":["one","two words","three"]}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("tiny.gguf", (string)json["model"]!);
        Assert.Equal("list", (string)json["object"]!);
        Assert.Equal(4, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(4, (int)json["usage"]!["total_tokens"]!);
        var data = json["data"]!.AsArray();
        Assert.Equal(3, data.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, (int)data[i]!["index"]!);
            Assert.Equal("embedding", (string)data[i]!["object"]!);
            var vector = data[i]!["embedding"]!.AsArray().Select(v => (double)v!).ToArray();
            Assert.Equal(8, vector.Length);
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => v * v)), 5);
        }
    }

    [Fact]
    public async Task Embeddings_SameText_SameVector()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        var single = await EmbeddingsAsync(http, "/v1/embeddings", """{"input":"hello world"}""");
        var batch = await EmbeddingsAsync(http, "/embeddings", """{"input":["other","hello world"]}""");

        Assert.Equal(single[0], batch[1]);
        Assert.NotEqual(batch[0], batch[1]);
    }

    [Fact]
    public async Task Embeddings_Base64_DecodesToSameFloats()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        var floats = await EmbeddingsAsync(http, "/v1/embeddings", """{"input":["alpha","beta"]}""");

        using var response = await PostAsync(http, "/v1/embeddings", """{"input":["alpha","beta"],"encoding_format":"base64"}""");
        var json = await ReadJsonAsync(response);

        for (var i = 0; i < 2; i++)
        {
            var item = json["data"]![i]!;
            Assert.Equal("base64", (string)item["encoding_format"]!);
            var bytes = Convert.FromBase64String((string)item["embedding"]!);
            var decoded = Enumerable.Range(0, bytes.Length / 4)
                .Select(k => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(k * 4)))
                .ToArray();
            Assert.Equal(floats[i], decoded);
        }
    }

    [Fact]
    public async Task Embeddings_PerRequestLimit_RejectsSumButAcceptsHalves()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { MaxEmbeddingTokensPerRequest = 4 });
        using var http = CreateClient(gateway);

        using var whole = await PostAsync(http, "/v1/embeddings", """{"input":["a b","c d","e"]}""");
        using var half = await PostAsync(http, "/v1/embeddings", """{"input":["a b","c d"]}""");

        await AssertErrorAsync(whole, HttpStatusCode.InternalServerError, "server_error",
            "input (5 tokens) is too large to process. increase the physical batch size (current batch size: 4)");
        Assert.Equal(HttpStatusCode.OK, half.StatusCode);
    }

    // ---- Errors from the reference table ------------------------------------------------------------------

    public static TheoryData<string, string, string, int, string, string> ErrorCases => new()
    {
        { "POST", "/v1/completions", "{not json", 500, "server_error", "[json.exception.parse_error.101] parse error at line 1, column " },
        { "POST", "/v1/chat/completions", "", 500, "server_error", "[json.exception.parse_error.101] parse error at line 1, column 1: " },
        { "POST", "/v1/embeddings", "", 500, "server_error", "[json.exception.parse_error.101] " },
        { "POST", "/v1/completions", """{"max_tokens":3}""", 400, "invalid_request_error", "[json.exception.out_of_range.403] key 'prompt' not found" },
        { "POST", "/v1/chat/completions", """{"prompt":"x"}""", 400, "invalid_request_error", "'messages' is required" },
        { "POST", "/v1/embeddings", """{"model":"x"}""", 400, "invalid_request_error", "\"input\" or \"content\" must be provided" },
        { "POST", "/v1/embeddings", """{"input":[]}""", 500, "server_error", "\"prompt\" must not be empty" },
        { "POST", "/v1/completions", """{"prompt":"one two three four five six"}""", 400, "exceed_context_size_error", "request (6 tokens) exceeds the available context size (5 tokens), try increasing it" },
        { "POST", "/v1/embeddings", """{"input":["ok","one two three four five six seven"]}""", 500, "server_error", "input (7 tokens) is too large to process. increase the physical batch size (current batch size: 6)" },
        { "GET", "/v1/nothing", "", 404, "not_found_error", "File Not Found" },
        { "POST", "/v1/batches", "{}", 404, "not_found_error", "File Not Found" },
        { "GET", "/v1/batches", "", 404, "not_found_error", "File Not Found" },
        { "GET", "/v1/completions", "", 404, "not_found_error", "File Not Found" },
        { "POST", "/health", "{}", 404, "not_found_error", "File Not Found" },
    };

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public async Task Request_Invalid_ReturnsLlamaServerError(string method, string path, string body, int status, string type, string messageStart)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ContextSize = 5, MaxEmbeddingTokensPerInput = 6 });
        using var http = CreateClient(gateway);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);

        var message = await AssertErrorAsync(response, (HttpStatusCode)status, type, null);
        Assert.StartsWith(messageStart, message, StringComparison.Ordinal);
        Assert.Equal(0, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task Completions_PromptTooLong_CarriesTokenCounts()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ContextSize = 2 });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(5, (int)json["error"]!["n_prompt_tokens"]!);
        Assert.Equal(2, (int)json["error"]!["n_ctx"]!);
        Assert.Equal(400, (int)json["error"]!["code"]!);
    }

    [Fact]
    public async Task Embeddings_Disabled_Returns501NotSupported()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { EnableEmbeddings = false });
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/embeddings", """{"input":"x"}""");

        await AssertErrorAsync(response, HttpStatusCode.NotImplemented, "not_supported_error",
            "This server does not support embeddings. Start it with `--embeddings`");
    }

    [Fact]
    public async Task NotFound_Body_MatchesLlamaServerExactly()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync("/v1/batches");

        Assert.Equal("""{"error":{"message":"File Not Found","type":"not_found_error","code":404}}""", await response.Content.ReadAsStringAsync());
    }

    // ---- API key ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Authorization", "Bearer sk-test")]
    [InlineData("Authorization", "sk-test")]
    [InlineData("X-Api-Key", "sk-test")]
    public async Task ApiKey_AcceptedHeaderForms_Succeed(string header, string value)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"x"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/v1/completions", null)]
    [InlineData("POST", "/v1/completions", "Bearer wrong")]
    [InlineData("GET", "/props", null)]
    [InlineData("GET", "/v1/unknown", null)]
    [InlineData("POST", "/v1/batches", null)]
    public async Task ApiKey_MissingOrWrong_Returns401BeforeRouting(string method, string path, string? authorization)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("""{"prompt":"x"}""", Encoding.UTF8, "application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/v1/models")]
    public async Task ApiKey_PublicRoutes_NeedNoKey(string path)
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // ---- Slots, pause, latency ----------------------------------------------------------------------------

    [Fact]
    public async Task Pause_FiveRequestsOnTwoSlots_AllInFlightTwoSlotsBusy()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 2 });
        using var http = CreateClient(gateway);
        using var cts = new CancellationTokenSource(s_timeout);
        gateway.Pause();

        var requests = Enumerable.Range(0, 5)
            .Select(i => PostAsync(http, "/v1/completions", $$"""{"prompt":"request {{i}}"}"""))
            .ToArray();
        await gateway.WaitForInFlightAsync(5, cts.Token);

        Assert.Equal(5, gateway.Counters.InFlight);
        Assert.Equal(2, gateway.Counters.PeakActiveSlots);
        Assert.Equal(0, gateway.Counters.SucceededRequests);

        gateway.Resume();
        var responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, gateway.Counters.PeakActiveSlots);
        Assert.Equal(5, gateway.Counters.PeakInFlight);
        Assert.Equal(5, gateway.Counters.SucceededRequests);
        Assert.Equal(0, gateway.Counters.InFlight);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Pause_GetRoutes_AnswerWhilePaused()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.Pause();

        using var response = await http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        gateway.Resume();
    }

    [Fact]
    public async Task Latency_Set_HoldsRequest()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Latency = TimeSpan.FromMilliseconds(150) });
        using var http = CreateClient(gateway);

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"slow"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(140), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task LatencyPerToken_Set_ScalesWithCompletionTokens()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { LatencyPerToken = TimeSpan.FromMilliseconds(20) });
        using var http = CreateClient(gateway);

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"slow","max_tokens":8}""");
        var json = await ReadJsonAsync(response);

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(150), $"took {stopwatch.Elapsed}");
        Assert.Equal(160.0, (double)json["timings"]!["predicted_ms"]!, 3);
    }

    [Fact]
    public async Task ClientCancels_DuringLatency_ReleasesSlot()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { Slots = 1, Latency = TimeSpan.FromMinutes(1) });
        using var http = CreateClient(gateway);
        using var clientCts = new CancellationTokenSource();

        var request = http.PostAsync("/v1/completions", Json("""{"prompt":"x"}"""), clientCts.Token);
        await gateway.WaitForInFlightAsync(1).WaitAsync(s_timeout);
        await clientCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        // With one slot, the next request can only be answered once the canceled one has given its slot back.
        gateway.Options.Latency = TimeSpan.Zero;
        using var next = await PostAsync(http, "/v1/completions", """{"prompt":"y"}""");

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task Completions_DuplicateKeys_LastValueWins()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);

        using var response = await PostAsync(http, "/v1/completions", """{"prompt":"x","max_tokens":9,"max_tokens":2}""");
        var json = await ReadJsonAsync(response);

        Assert.Equal(2, (int)json["usage"]!["completion_tokens"]!);
    }

    // ---- Faults -------------------------------------------------------------------------------------------

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

    // ---- Loading, stop and start ---------------------------------------------------------------------------

    [Fact]
    public async Task SetLoading_True_EveryRouteReturns503UntilFalse()
    {
        await using var gateway = await SimulatedGateway.StartAsync(new() { ApiKey = "sk-test" });
        using var http = CreateClient(gateway);
        gateway.SetLoading(true);

        using var health = await http.GetAsync("/health");
        using var completion = await PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        using var unknown = await http.GetAsync("/nowhere");
        gateway.SetLoading(false);
        using var ready = await http.GetAsync("/health");

        const string Loading = """{"error":{"message":"Loading model","type":"unavailable_error","code":503}}""";
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(Loading, await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, completion.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(0, gateway.Counters.FaultsInjected);
    }

    [Fact]
    public async Task StopListening_ThenStart_RefusesThenServesSameEndpoint()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var endpoint = gateway.Endpoint;
        using (var http = CreateClient(gateway))
        using (var before = await PostAsync(http, "/v1/completions", """{"prompt":"x"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await gateway.StopListeningAsync();
        using (var stopped = CreateClient(gateway))
        {
            var exception = await Assert.ThrowsAsync<HttpRequestException>(() => stopped.GetAsync("/health"));
            Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(exception.InnerException).SocketErrorCode);
        }

        await gateway.StartListeningAsync();
        using var again = CreateClient(gateway);
        using var after = await PostAsync(again, "/v1/completions", """{"prompt":"x"}""");

        Assert.Equal(endpoint, gateway.Endpoint);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, gateway.Counters.SucceededRequests);
    }

    [Fact]
    public async Task StopListening_RequestInFlight_AbortsIt()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.Pause();
        var pending = PostAsync(http, "/v1/completions", """{"prompt":"x"}""");
        await gateway.WaitForInFlightAsync(1).WaitAsync(s_timeout);

        await gateway.StopListeningAsync();

        await Assert.ThrowsAsync<HttpRequestException>(() => pending);
        Assert.Equal(0, gateway.Counters.InFlight);
    }

    [Fact]
    public async Task DisposeAsync_Twice_StopsServerAndFailsWaiters()
    {
        var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        var waiter = gateway.WaitForRequestsAsync(100);

        await gateway.DisposeAsync();
        await gateway.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiter);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/health"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => gateway.StartListeningAsync());
    }

    // ---- Counters and waiting ------------------------------------------------------------------------------

    [Fact]
    public async Task Counters_MixedTraffic_CountEachKind()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.ServiceUnavailable));

        using (await PostAsync(http, "/v1/completions", """{"prompt":"x"}"""))
        using (await PostAsync(http, "/v1/completions", """{"prompt":"a b c","max_tokens":4}"""))
        using (await PostAsync(http, "/v1/embeddings", """{"input":["a b","c"]}"""))
        using (await http.GetAsync("/health"))
        using (await http.GetAsync("/nowhere"))
        {
        }

        var counters = gateway.Counters;
        Assert.Equal(5, counters.TotalRequests);
        Assert.Equal(2, counters.GetRequests("/v1/completions"));
        Assert.Equal(1, counters.GetRequests("/v1/embeddings"));
        Assert.Equal(1, counters.GetRequests("/nowhere"));
        Assert.Equal(0, counters.GetRequests("/v1/chat/completions"));
        Assert.Equal(1, counters.FaultsInjected);
        Assert.Equal(3, counters.SucceededRequests);
        Assert.Equal(3 + 3, counters.PromptTokens);
        Assert.Equal(4, counters.CompletionTokens);
        Assert.Equal(1, counters.PeakInFlight);
        Assert.Equal(0, counters.InFlight);

        counters.Reset();

        Assert.Equal(0, counters.TotalRequests);
        Assert.Equal(0, counters.GetRequests("/v1/completions"));
        Assert.Equal(0, counters.FaultsInjected);
        Assert.Equal(0, counters.SucceededRequests);
        Assert.Equal(0, counters.PromptTokens);
        Assert.Equal(0, counters.CompletionTokens);
        Assert.Equal(0, counters.PeakInFlight);
        Assert.Equal(0, counters.PeakActiveSlots);
    }

    [Fact]
    public async Task WaitForRequestsAsync_RequestsArrive_Completes()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var http = CreateClient(gateway);
        gateway.Pause();

        var waiter = gateway.WaitForRequestsAsync(3);
        Assert.False(waiter.IsCompleted);
        var requests = Enumerable.Range(0, 3).Select(_ => PostAsync(http, "/v1/completions", """{"prompt":"x"}""")).ToArray();
        await waiter.WaitAsync(s_timeout);
        gateway.Resume();
        foreach (var response in await Task.WhenAll(requests))
        {
            response.Dispose();
        }

        Assert.Equal(3, gateway.Counters.TotalRequests);
        await gateway.WaitForRequestsAsync(2).WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WaitForInFlightAsync_Canceled_Throws()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var cts = new CancellationTokenSource();

        var waiter = gateway.WaitForInFlightAsync(1, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
    }

    // ---- Helpers -------------------------------------------------------------------------------------------

    private static HttpClient CreateClient(SimulatedGateway gateway) =>
        new() { BaseAddress = gateway.Endpoint, Timeout = s_timeout };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string body) =>
        http.PostAsync(path, Json(body));

    private static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type, string? message)
    {
        Assert.Equal(status, response.StatusCode);
        var json = await ReadJsonAsync(response);
        var error = json["error"]!;
        Assert.Equal((int)status, (int)error["code"]!);
        Assert.Equal(type, (string)error["type"]!);
        var actual = (string)error["message"]!;
        if (message is not null)
        {
            Assert.Equal(message, actual);
        }

        return actual;
    }

    private static async Task<string> CompletionTextAsync(HttpClient http, string path, string prompt)
    {
        var isChat = path.Contains("chat", StringComparison.Ordinal);
        var body = isChat
            ? new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }) }
            : new JsonObject { ["prompt"] = prompt };
        using var response = await PostAsync(http, path, body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = (await ReadJsonAsync(response))["choices"]![0]!;
        return isChat ? (string)choice["message"]!["content"]! : (string)choice["text"]!;
    }

    private static async Task<float[][]> EmbeddingsAsync(HttpClient http, string path, string body)
    {
        using var response = await PostAsync(http, path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await ReadJsonAsync(response);
        return json["data"]!.AsArray()
            .Select(item => item!["embedding"]!.AsArray().Select(v => (float)v!).ToArray())
            .ToArray();
    }

    private static async Task<string[]> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        return text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e =>
            {
                Assert.StartsWith("data: ", e, StringComparison.Ordinal);
                return e["data: ".Length..];
            })
            .ToArray();
    }
}
