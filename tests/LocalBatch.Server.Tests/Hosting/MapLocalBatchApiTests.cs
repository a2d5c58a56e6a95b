using LocalBatch.Batches;
using LocalBatch.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Hosting;

public sealed class MapLocalBatchApiTests
{
    [Fact]
    public async Task MapLocalBatchApi_InAnAppOfOurOwn_ServesTheApiBesideItsRoutes()
    {
        await using var env = await BatchTestEnvironment.StartAsync();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.AddLocalBatchServer(o =>
        {
            o.Gateway = env.Gateway.Endpoint;
            o.StateDirectory = env.StoreDirectory;
            o.ProxyOtherRoutes = false; // mounted inside the gateway itself
        });
        await using var app = builder.Build();
        app.MapGet("/mine", () => "my own route");
        app.MapLocalBatchApi();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        var upload = await http.PostAsync("/v1/files", Files.FilesApiTests.Multipart(BatchTestEnvironment.ChatLines(2), "a.jsonl", "batch"));
        var fileId = (await JsonAsync(upload)).GetProperty("id").GetString();
        var create = await http.PostAsync("/v1/batches", Files.FilesApiTests.JsonBody(new { input_file_id = fileId, endpoint = BatchTestEnvironment.Chat, completion_window = "24h" }));
        var batchId = (await JsonAsync(create)).GetProperty("id").GetString()!;
        var job = await app.Services.GetRequiredService<BatchJobManager>().WaitAsync(batchId).WaitAsync(TimeSpan.FromSeconds(30));
        var mine = await http.GetStringAsync("/mine");
        var notProxied = await http.GetAsync("/v1/models");
        await app.StopAsync();

        Assert.Equal(200, (int)create.StatusCode);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal("my own route", mine);
        Assert.Equal(404, (int)notProxied.StatusCode);
        Assert.Equal(0, env.Gateway.Counters.GetRequests("/v1/models"));
    }

    [Fact]
    public async Task MapLocalBatchApi_WithoutAddLocalBatchServer_SaysWhatIsMissing()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapLocalBatchApi());

        Assert.Contains("AddLocalBatchServer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ReportsEveryProblemAtOnceAndNeverTheKey()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => LocalBatchServer.StartAsync(
            o =>
            {
                o.Gateway = new Uri("ftp://127.0.0.1/");
                o.Retention = TimeSpan.FromHours(-1);
                o.MaxUploadSize = 0;
                o.GatewayApiKey = " ";
                o.ApiKey = "secret-key-123";
            },
            "http://127.0.0.1:0"));

        Assert.Equal(4, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("Gateway", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Retention", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxUploadSize", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("GatewayApiKey", StringComparison.Ordinal));
        Assert.DoesNotContain("secret-key-123", error.Message, StringComparison.Ordinal);
    }
}
