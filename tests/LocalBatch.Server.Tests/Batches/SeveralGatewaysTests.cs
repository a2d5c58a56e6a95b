using LocalBatch.Batches;
using LocalBatch.Server.Tests.Support;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Batches;

public sealed class SeveralGatewaysTests
{
    [Fact]
    public async Task Batch_TwoGateways_RunsOnBothAndOtherRoutesGoToTheFirst()
    {
        await using var second = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 2, Latency = TimeSpan.FromMilliseconds(5) });
        await using var env = await ServerTestEnvironment.ServeAsync(options => options.Gateways = [options.Gateway, second.Endpoint], slots: 2);
        env.Gateway.Options.Latency = TimeSpan.FromMilliseconds(5);
        var file = await env.UploadAsync(ChatLines(40));

        var (_, created) = await env.CreateBatchAsync(file.Id);
        var job = await env.WaitAsync(created.GetProperty("id").GetString()!);
        using var models = await env.Http.GetAsync(new Uri("v1/models", UriKind.Relative));

        Assert.Equal((BatchStatus.Completed, 40), (job.Status, job.RequestCounts.Completed));
        Assert.True(env.Gateway.Counters.GetRequests(Chat) > 0 && second.Counters.GetRequests(Chat) > 0);
        Assert.Equal(40, env.Gateway.Counters.GetRequests(Chat) + second.Counters.GetRequests(Chat));
        Assert.True(models.IsSuccessStatusCode);
        Assert.Equal(0, second.Counters.GetRequests("/v1/models"));
    }
}
