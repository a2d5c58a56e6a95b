using System.Diagnostics;
using LocalBatch.Batches;
using LocalBatch.Gateway.Internal;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Options;

namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>
/// N requests through <see cref="BatchJobManager"/> against a simulated gateway that injects every transient fault a
/// llama-server (or the network, or a proxy) shows, together, at fixed rates drawn from a seeded generator; and a
/// few requests the server refuses every time. The test and <c>bench reliability</c> run it at two sizes.
/// </summary>
internal static class FaultSoak
{
    /// <summary>One request in this many is refused (400) every time it is sent: the permanent errors.</summary>
    public const int PermanentEvery = 250;

    /// <summary>The transient faults injected, with the share of attempts each gets.</summary>
    public static readonly IReadOnlyList<(SimulatedFault Fault, double Rate)> Mix =
    [
        (new SimulatedFault(SimulatedFaultKind.ServiceUnavailable), 0.10),
        (new SimulatedFault(SimulatedFaultKind.InternalServerError), 0.05),
        (new SimulatedFault(SimulatedFaultKind.ConnectionReset), 0.02),
        (new SimulatedFault(SimulatedFaultKind.TruncatedBody), 0.01),
        (new SimulatedFault(SimulatedFaultKind.TooManyRequests) { RetryAfter = TimeSpan.FromSeconds(1) }, 0.01),
        (new SimulatedFault(SimulatedFaultKind.SlowResponse) { Delay = TimeSpan.FromMilliseconds(20) }, 0.02),
    ];

    /// <summary>The kinds that fail an attempt, each worth one retry (a slow answer is still an answer).</summary>
    public static readonly IReadOnlyList<SimulatedFaultKind> TransientKinds =
        [SimulatedFaultKind.ServiceUnavailable, SimulatedFaultKind.InternalServerError, SimulatedFaultKind.ConnectionReset, SimulatedFaultKind.TruncatedBody, SimulatedFaultKind.TooManyRequests];

    public sealed record Report(
        int Requests,
        TimeSpan Elapsed,
        BatchStatus Status,
        long Attempts,
        IReadOnlyDictionary<SimulatedFaultKind, long> Faults,
        long Retries,
        int Permanent,
        ExactlyOnceCheck Check)
    {
        public long TransientFaults => TransientKinds.Sum(kind => Faults[kind]);

        public override string ToString() =>
            $"{Requests} requests in {Elapsed.TotalSeconds:0.0} s ({Status}): {Attempts} attempts, {Retries} retries, faults "
            + string.Join(", ", Faults.Select(pair => $"{pair.Key} {pair.Value}")) + $"; {Permanent} refused for good; {Check}";
    }

    public static async Task<Report> RunAsync(int requests, int seed, string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var input = Path.Combine(directory, "soak.jsonl");
        await using (var writer = new StreamWriter(input))
        {
            for (var i = 1; i <= requests; i++)
            {
                var prompt = i % PermanentEvery == 0 ? $"PERMANENT {i}" : $"prompt {i}";
                await writer.WriteLineAsync($$$"""{"custom_id":"req-{{{i}}}","method":"POST","url":"/v1/completions","body":{"prompt":"{{{prompt}}}","max_tokens":4}}""");
            }
        }

        var random = new Random(seed);
        var gate = new Lock();
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            Slots = 8,
            FaultSelector = request =>
            {
                if (request.Body?["prompt"]?.GetValue<string>().StartsWith("PERMANENT", StringComparison.Ordinal) == true)
                {
                    return new SimulatedFault(SimulatedFaultKind.BadRequest) { Message = "This prompt is refused every time" };
                }

                double draw;
                lock (gate)
                {
                    draw = random.NextDouble();
                }

                foreach (var (fault, rate) in Mix)
                {
                    if ((draw -= rate) < 0)
                    {
                        return fault;
                    }
                }

                return null;
            },
        }, cancellationToken);

        using var meters = new TestMeterFactory();
        long retries = 0;
        using var listener = meters.Listen("localbatch.requests.retried", value => Interlocked.Add(ref retries, value));

        // Retries fast and many: no transient fault may exhaust them, so only the permanent refusals are errors.
        var options = new LocalBatchOptions
        {
            Endpoint = gateway.Endpoint,
            MaxConcurrency = 16,
            MaxRetryAttempts = 20,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(10),
        };
        using var client = new LocalGatewayClient(GatewayHttpClientFactory.Create(options), Options.Create(options), logger: null, meters);
        using var processor = new LocalBatchProcessor(client);
        await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions
        {
            StoreDirectory = Path.Combine(directory, "store"),
            MaxLinesPerBatch = int.MaxValue,
        });

        var started = Stopwatch.GetTimestamp();
        var job = await manager.CreateFromFileAsync(input, cancellationToken: cancellationToken);
        job = await manager.WaitAsync(job.Id, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);

        var check = ExactlyOnceCheck.Of(
            [.. Enumerable.Range(1, requests).Select(i => $"req-{i}")],
            manager.GetFilePath(job.Id, BatchFileKind.Output),
            manager.GetFilePath(job.Id, BatchFileKind.Errors));
        return new Report(
            requests,
            elapsed,
            job.Status,
            gateway.Counters.GetRequests("/v1/completions"),
            Enum.GetValues<SimulatedFaultKind>().ToDictionary(kind => kind, gateway.Counters.GetFaults),
            Interlocked.Read(ref retries),
            requests / PermanentEvery,
            check);
    }
}
