using System.Net;
using System.Text.Json.Nodes;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.GatewayHttp;

namespace LocalBatch.Tests.Testing;

/// <summary>Start-up and the plain routes of the simulated llama-server: health, props, models.</summary>
public sealed class SimulatedGatewayRouteTests
{
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
}
