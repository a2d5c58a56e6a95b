using System.Text;
using LocalBatch.Server.Tests.Reliability.Harness;
using LocalBatch.Tests.Reliability.Harness;

namespace LocalBatch.Benchmarks;

/// <summary>The parts of the reliability report about <c>localbatch serve</c>.</summary>
internal static partial class ReliabilityBenchmark
{
    private const string ChatPath = "/v1/chat/completions";

    /// <summary>
    /// serve as a child process with a batch created over its HTTP API, killed at its first request, at random request
    /// counts and twice while the gateway is down; started again on the same store each time, then left to finish.
    /// </summary>
    private static async Task<ServeCrashFigures> RunServeCrashLoopAsync(int kills, string directory)
    {
        const int Lines = 2_000;
        const int FailEvery = 50;
        await using var gateway = await StartGatewayAsync();
        var state = Path.Combine(directory, "state");
        var loop = new ServeCrashLoop(gateway, ["--gateway", gateway.Endpoint.ToString(), "--state-dir", state], state);
        var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, Lines).Select(i =>
            $$$"""{"custom_id":"req-{{{i}}}","method":"POST","url":"{{{ChatPath}}}","body":{"messages":[{"role":"user","content":"{{{(i % FailEvery == 0 ? "FAIL" : "prompt")}}} {{{i}}}"}],"max_tokens":4}}""" + "\n")));
        var random = new Random(11);
        var share = Math.Max(2, (Lines / 2) / Math.Max(1, kills)); // about half the batch goes by in the killed runs

        await loop.KillAfterRequestsAsync(1, async serve =>
        {
            using var http = serve.CreateClient();
            var fileId = await ServeApi.UploadAsync(http, input);
            loop.BatchId = (await ServeApi.CreateBatchAsync(http, fileId, ChatPath)).GetProperty("id").GetString();
        });
        for (var i = 0; i < kills - 3; i++)
        {
            await loop.KillAfterRequestsAsync(random.Next(1, share * 2));
        }

        await loop.KillWhileTheGatewayIsDownAsync(random.Next(1, share * 2));
        await loop.KillWhileTheGatewayIsDownAsync(random.Next(1, share * 2));
        var (batch, output, errors) = await loop.RunToEndAsync(async (serve, batch) =>
        {
            using var http = serve.CreateClient();
            return (
                batch,
                await ServeApi.DownloadAsync(http, batch.GetProperty("output_file_id").GetString()),
                await ServeApi.DownloadAsync(http, batch.GetProperty("error_file_id").GetString()));
        });

        var check = ExactlyOnceCheck.Of([.. Enumerable.Range(1, Lines).Select(i => $"req-{i}")], output, errors);
        var counts = batch.GetProperty("request_counts");
        var countsAgree = (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32())
            == (Lines, check.OutputLines, check.ErrorLines);
        return new ServeCrashFigures(
            Lines,
            loop.Runs,
            loop.Kills,
            gateway.Counters.GetRequests(ChatPath) - Lines,
            batch.GetProperty("status").GetString()!,
            countsAgree,
            check,
            Lines / FailEvery);
    }

    /// <summary>Every case of serve's corpus, each against a <c>localbatch serve</c> child process of its own.</summary>
    private static async Task<IReadOnlyList<ServeCorpus.Outcome>> RunServeCorpusAsync()
    {
        var outcomes = new List<ServeCorpus.Outcome>();
        foreach (var name in ServeCorpus.Names())
        {
            var outcome = await ServeCorpus.RunAsync(name, async options =>
            {
                var serve = await ServeProcess.StartAsync(options);
                return (serve.BaseAddress, serve);
            });
            Console.WriteLine($"  {name}: {outcome.Status}{(outcome.Passed ? string.Empty : " — " + string.Join("; ", outcome.Problems))}");
            outcomes.Add(outcome);
        }

        return outcomes;
    }

    private sealed record ServeCrashFigures(int Lines, int Runs, int Kills, long Resent, string Status, bool CountsAgree, ExactlyOnceCheck Check, int Permanent)
    {
        public bool Passed => Check.Holds && Check.ErrorLines == Permanent && Status == "completed" && CountsAgree;
    }

    private sealed partial class Report
    {
        public void ServeCrash(ServeCrashFigures crash)
        {
            Passed &= crash.Passed;
            _checks.Add(("serve: crash and resume", crash.Check));
            Line("## serve: crash and resume");
            Line();
            Line($"`localbatch serve` as a child process; a {crash.Lines:N0}-line chat batch (one line in 50 refused for good) uploaded and created over its HTTP API; the server killed with SIGKILL at its first request, at random request counts and twice while the gateway is down (it comes back before the next start), and started again on the same store each time: the batch resumes by itself. The last start lets it finish; its files are downloaded over HTTP.");
            Line();
            Line("| | |");
            Line("|---|---|");
            Row("starts", crash.Runs);
            Row("kills that landed while the batch ran", crash.Kills);
            Row("requests sent again after a kill (in flight when it landed)", crash.Resent);
            Row("lines in the output and error files", crash.Check.OutputLines + crash.Check.ErrorLines);
            Row("lost", crash.Check.Lost);
            Row("doubled", crash.Check.Doubled);
            Row("torn or invalid lines", crash.Check.BadLines);
            Line($"| batch | {crash.Status}; request_counts {(crash.CountsAgree ? "agree" : "DISAGREE")} with its files |");
            Line($"| result | {(crash.Passed ? "every custom_id exactly once, in whole JSON lines" : "FAILED: " + crash.Check)} |");
            Line();
        }

        public void ServeCorpus(IReadOnlyList<ServeCorpus.Outcome> outcomes)
        {
            var failed = outcomes.Where(outcome => !outcome.Passed).ToList();
            Passed &= failed.Count == 0;
            Line("## serve: bad input corpus");
            Line();
            Line("Every case of `tests/LocalBatch.Server.Tests/Corpus/` (bad multipart and content types, oversized uploads, unknown ids, ids with path characters or encoded `../`, bad batch bodies and queries, missing and wrong keys) sent to a `localbatch serve` child process of its own: the status and OpenAI error its file expects, JSON, no stack trace, no key echoed, nothing created in the store, nothing sent to the gateway, still serving afterwards.");
            Line();
            Line("| | |");
            Line("|---|---|");
            Row("bad requests tried", outcomes.Count);
            foreach (var status in outcomes.GroupBy(outcome => outcome.Status).OrderBy(group => group.Key))
            {
                Row($"answered {status.Key}", status.Count());
            }

            Row("as their case expects", outcomes.Count - failed.Count);
            Line($"| result | {(failed.Count == 0 ? "all as expected" : "FAILED: " + string.Join(", ", failed.Select(outcome => outcome.Name)))} |");
            Line();
        }
    }
}
