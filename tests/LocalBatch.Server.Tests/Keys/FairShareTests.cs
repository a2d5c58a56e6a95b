using LocalBatch.Batches;
using LocalBatch.Server.Tests.Support;
using LocalBatch.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Keys;

[CollectionDefinition(nameof(FairShareTests), DisableParallelization = true)]
public sealed class FairShareCollection;

/// <summary>
/// Fair shares: the engine's turns go by owner first, then by batch, so that one key's huge batches do not starve
/// another's small one (issue 22). Counted on the simulated gateway, not timed: while one key's two huge batches run,
/// another key's small batch gets half of the slots that free (its owner's turn), not a third (one batch's turn among
/// three), so the other key's requests sent while the small batch runs are about as many as its own.
/// </summary>
[Collection(nameof(FairShareTests))]
public sealed class FairShareTests(ITestOutputHelper output)
{
    private const int HugeLines = 20_000;
    private const int SmallLines = 100;

    [Fact]
    public async Task SmallBatch_StartedBesideAnotherKeysTwoHugeOnes_GetsHalfTheSlots()
    {
        using var keys = await TeamKeys.CreateAsync();
        var (small, othersDuring) = (0, 0);
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            Slots = 4,
            Latency = TimeSpan.FromMilliseconds(5),

            // No fault: an observer of the order in which requests reach the gateway.
            FaultSelector = request =>
            {
                if (request.Body?.ToJsonString().Contains("small", StringComparison.Ordinal) == true)
                {
                    Interlocked.Increment(ref small);
                }
                else if (Volatile.Read(ref small) is > 0 and < SmallLines)
                {
                    Interlocked.Increment(ref othersDuring);
                }

                return null;
            },
        });
        var store = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await LocalBatchServer.StartAsync(
                options =>
                {
                    options.Gateway = gateway.Endpoint;
                    options.StateDirectory = store;
                    options.KeysFile = keys.Path;
                },
                "http://127.0.0.1:0");
            var batches = server.Services.GetRequiredService<BatchJobManager>();
            var ana = keys.Client(server, keys.Ana);
            var bob = keys.Client(server, keys.Bob);
            var smallFile = await TeamKeys.UploadAsync(bob, ChatLines(SmallLines, i => $"small {i}"));
            var huge = new[]
            {
                await TeamKeys.StartBatchAsync(ana, ChatLines(HugeLines)),
                await TeamKeys.StartBatchAsync(ana, ChatLines(HugeLines)),
            };
            await gateway.WaitForRequestsAsync(gateway.Counters.TotalRequests + 100).WaitAsync(TimeSpan.FromSeconds(60)); // both running

            var response = await TeamKeys.CreateBatchAsync(bob, smallFile);
            var id = (await ServerTestEnvironment.JsonAsync(response)).GetProperty("id").GetString()!;
            var job = await batches.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(120));
            foreach (var batch in huge)
            {
                await batches.CancelAsync(batch);
            }

            output.WriteLine($"while bob's {SmallLines} requests were sent, ana's two batches were sent {othersDuring}");
            Assert.Equal(SmallLines, job.RequestCounts.Completed);

            // Half the slots: as many of ana's as bob's, give or take the slots' worth in flight when bob's began and
            // a few turns; a third (batch turns only) would have been about twice as many of ana's.
            Assert.InRange(othersDuring, 0, SmallLines + 20);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }
}
