using System.Buffers.Binary;
using System.Net;
using System.Text.Json.Nodes;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>Embeddings: vectors in input order, determinism, base64, per-request limits.</summary>
public sealed class SimulatedGatewayEmbeddingTests
{
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

    [Fact]
    public async Task EmbeddingLatencyPerInput_ArrayOf64_CheaperThan64SingleCalls()
    {
        // The values a benchmark would use: 64 inputs in one call take 1.56 times less slot time than in 64 calls,
        // as arrays of 64 short inputs do on a CPU llama-server (1.5 to 1.6 times).
        var options = new SimulatedGatewayOptions
        {
            Latency = TimeSpan.FromMilliseconds(2),
            EmbeddingLatencyPerInput = TimeSpan.FromMilliseconds(3.5),
        };
        await using var gateway = await SimulatedGateway.StartAsync(options);
        using var http = CreateClient(gateway);
        var inputs = Enumerable.Range(0, 64).Select(i => $"short input number {i}").ToArray();

        await Task.WhenAll(inputs.Select(input => EmbeddingsAsync(http, "/v1/embeddings", new JsonObject { ["input"] = input }.ToJsonString())));
        var singleCalls = gateway.Counters.SlotWorkTime;
        gateway.Counters.Reset();
        var vectors = await EmbeddingsAsync(http, "/v1/embeddings", new JsonObject { ["input"] = new JsonArray([.. inputs.Select(i => JsonValue.Create(i))]) }.ToJsonString());
        var oneCall = gateway.Counters.SlotWorkTime;

        Assert.Equal(64, vectors.Length);
        Assert.Equal(TimeSpan.FromMilliseconds(64 * 5.5), singleCalls);
        Assert.Equal(TimeSpan.FromMilliseconds(2 + (64 * 3.5)), oneCall);
        Assert.InRange(singleCalls / oneCall, 1.4, 1.7);
    }
}
