using LocalBatch.Batches;
using LocalBatch.Testing;
using LocalBatch.Tests.Reliability.Harness;
using Xunit.Abstractions;

namespace LocalBatch.Tests.Reliability;

/// <summary>10,000 requests through every transient fault at once: each answered exactly once, only permanent errors kept.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FaultSoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BatchJob_TenThousandRequestsThroughEveryTransientFault_EachAnsweredExactlyOnceAndOnlyPermanentErrorsKept()
    {
        var directory = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

            var report = await FaultSoak.RunAsync(10_000, seed: 11, directory, timeout.Token);

            output.WriteLine(report.ToString());
            Assert.Equal(BatchStatus.Completed, report.Status);
            Assert.True(report.Check.Holds, report.Check.ToString());
            Assert.Equal(10_000 - report.Permanent, report.Check.OutputLines);
            Assert.All(report.Check.Errors, error => Assert.Equal((400, null), (error.Status, error.Code)));   // refused for good, nothing transient
            Assert.Equal(Enumerable.Range(1, 40).Select(i => $"req-{i * FaultSoak.PermanentEvery}").Order(StringComparer.Ordinal), report.Check.Errors.Select(e => e.CustomId).Order(StringComparer.Ordinal));
            Assert.All(FaultSoak.Mix, mix => Assert.True(report.Faults[mix.Fault.Kind] > 0, $"no {mix.Fault.Kind} was injected"));
            Assert.Equal(report.TransientFaults, report.Retries);                                         // each transient fault cost one retry
            Assert.Equal(10_000 + report.TransientFaults, report.Attempts);                                // and nothing else was sent twice
            Assert.InRange(report.Faults[SimulatedFaultKind.ServiceUnavailable] / (double)report.Attempts, 0.08, 0.12);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
