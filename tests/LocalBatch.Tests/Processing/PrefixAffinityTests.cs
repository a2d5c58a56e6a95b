using System.Collections.Concurrent;
using LocalBatch.Batches;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;

namespace LocalBatch.Tests.Processing;

/// <summary>Requests about the same document run one after another on one lane, in the processor and in batch files.</summary>
public sealed class PrefixAffinityTests
{
    private const int Documents = 6;
    private const int Questions = 5;

    [Fact]
    public async Task ProcessBatch_ShuffledQuestionsAboutDocuments_EachDocumentsRunOnOneLaneResultsInInputOrder()
    {
        var arrivals = new ConcurrentQueue<string>();
        await using var gateway = await SimulatedGateway.StartAsync(Recording(arrivals));
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxConcurrency = 1));
        var prompts = Shuffled();

        var results = await processor.ProcessBatchCompletionsAsync(prompts);

        Assert.Equal(Enumerable.Range(0, prompts.Count), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(Documents, Runs(arrivals)); // one lane: each document's questions come together
    }

    [Fact]
    public async Task ProcessBatch_SlotPinningOn_EachLaneKeepsASlotOfItsOwn()
    {
        var slots = new ConcurrentQueue<(string Document, int? Slot)>();
        await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions
        {
            Slots = 4,
            FaultSelector = request =>
            {
                if (request.Path == "/v1/completions")
                {
                    slots.Enqueue((DocumentOf((string)request.Body!["prompt"]!), (int?)request.Body["id_slot"]));
                }

                return null;
            },
        });
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, static o =>
        {
            o.UseSlotPinning = true;
            o.BatchPriority = BatchPriority.Foreground; // no look at the load that could see someone and stop the pins
        }));

        // Six documents of five questions on four lanes and four slots (from /props): no run is longer than a lane's
        // share (30 / 4), so each document is one run, on one lane, whose slot it keeps; a lane's runs follow each other.
        var results = await processor.ProcessBatchCompletionsAsync(Shuffled());

        Assert.All(results, static r => Assert.True(r.IsSuccess));
        Assert.All(slots, static s => Assert.InRange(s.Slot ?? -1, 0, 3));
        Assert.All(slots.GroupBy(static s => s.Document), static document => Assert.Single(document.Select(static s => s.Slot).Distinct()));
        foreach (var slot in slots.GroupBy(static s => s.Slot))
        {
            var documents = slot.Select(static s => s.Document).ToList();
            Assert.Equal(documents.Distinct().Count(), Runs(documents));
        }
    }

    [Fact]
    public async Task ProcessBatch_AffinityOff_InputOrder()
    {
        var arrivals = new ConcurrentQueue<string>();
        await using var gateway = await SimulatedGateway.StartAsync(Recording(arrivals));
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => { o.MaxConcurrency = 1; o.UsePrefixAffinity = false; }));
        var prompts = Shuffled();

        await processor.ProcessBatchCompletionsAsync(prompts);

        Assert.Equal(prompts.Select(DocumentOf), arrivals);
    }

    [Fact]
    public async Task BatchFile_ShuffledQuestionsAboutDocuments_RunByDocumentEveryCustomIdOnce()
    {
        var arrivals = new ConcurrentQueue<string>();
        await using var gateway = await SimulatedGateway.StartAsync(Recording(arrivals));
        var prompts = Shuffled();

        await RunAsBatchFileAsync(gateway, prompts);

        Assert.Equal(Documents, Runs(arrivals));
    }

    [Fact]
    public async Task BatchFile_DocumentsMixedWithShortPrompts_DocumentRunsFirstThenTheRestInInputOrderEveryCustomIdOnce()
    {
        var arrivals = new ConcurrentQueue<string>();
        await using var gateway = await SimulatedGateway.StartAsync(Recording(arrivals));
        // After every other question a short prompt with nothing to share (no key: kept as a bit, not 20 bytes).
        var prompts = Shuffled().SelectMany((prompt, i) => i % 2 == 0 ? new[] { prompt, $"Short {i}: say hi" } : [prompt]).ToList();

        await RunAsBatchFileAsync(gateway, prompts);

        var order = arrivals.ToList();
        var documents = order.TakeWhile(document => document.StartsWith("Document", StringComparison.Ordinal)).ToList();
        Assert.Equal(Documents * Questions, documents.Count); // the runs first, one document at a time
        Assert.Equal(Documents, Runs(documents));
        Assert.Equal(
            prompts.Where(p => p.StartsWith("Short", StringComparison.Ordinal)).Select(DocumentOf),
            order.Skip(documents.Count)); // then the short prompts, in input order
    }

    [Fact]
    public async Task BatchFile_ResponsesWithShuffledQuestionsAboutDocuments_RunByDocumentEveryCustomIdOnce()
    {
        var arrivals = new ConcurrentQueue<string>();
        await using var gateway = await SimulatedGateway.StartAsync(Recording(arrivals));

        await RunAsBatchFileAsync(gateway, Shuffled(), "/v1/responses");

        Assert.Equal(Documents, Runs(arrivals));
    }

    /// <summary>Runs the prompts as a batch file (one lane) and checks that it completed with every custom_id once.</summary>
    private static async Task RunAsBatchFileAsync(SimulatedGateway gateway, IReadOnlyList<string> prompts, string url = "/v1/completions")
    {
        using var processor = new LocalBatchProcessor(Simulator.FastOptions(gateway, o => o.MaxConcurrency = 1));
        var store = Directory.CreateTempSubdirectory("localbatch-affinity-");
        try
        {
            await using var manager = new BatchJobManager(processor, new BatchJobManagerOptions { StoreDirectory = store.FullName });
            var lines = string.Concat(prompts.Select((prompt, i) => System.Text.Json.JsonSerializer.Serialize(new
            {
                custom_id = $"q-{i}",
                method = "POST",
                url,
                body = url == "/v1/responses" ? (object)new { input = prompt, max_output_tokens = 2 } : new { prompt, max_tokens = 2 },
            }) + "\n"));

            var job = await manager.WaitAsync((await manager.CreateAsync(BatchTestEnvironment.ToStream(lines))).Id);

            Assert.Equal((BatchStatus.Completed, prompts.Count), (job.Status, job.RequestCounts.Completed));
            var ids = (await BatchTestEnvironment.ReadAllAsync(manager.GetResultsAsync(job.Id))).Select(l => l.CustomId).ToList();
            Assert.Equal(Enumerable.Range(0, prompts.Count).Select(i => $"q-{i}").Order(), ids.Order());
        }
        finally
        {
            store.Delete(recursive: true);
        }
    }

    private static SimulatedGatewayOptions Recording(ConcurrentQueue<string> arrivals) => new()
    {
        FaultSelector = request =>
        {
            if (request.Path is "/v1/completions" or "/v1/responses")
            {
                arrivals.Enqueue(DocumentOf((string?)(request.Body?["prompt"] ?? request.Body?["input"]) ?? string.Empty));
            }

            return null;
        },
    };

    /// <summary>Every question about every document, in an order that mixes documents.</summary>
    private static List<string> Shuffled()
    {
        var prompts = new List<string>();
        for (var q = 0; q < Questions; q++)
        {
            for (var d = 0; d < Documents; d++)
            {
                prompts.Add($"Document {d}: " + string.Concat(Enumerable.Repeat($"Facts about subject {d}. ", 20)) + $"\nQuestion {q} about document {d}?");
            }
        }

        return prompts;
    }

    private static string DocumentOf(string prompt) => prompt[..prompt.IndexOf(':', StringComparison.Ordinal)];

    /// <summary>How many runs of the same document the arrivals make.</summary>
    private static int Runs(IEnumerable<string> arrivals)
    {
        var runs = 0;
        string? last = null;
        foreach (var document in arrivals)
        {
            runs += document == last ? 0 : 1;
            last = document;
        }

        return runs;
    }
}
