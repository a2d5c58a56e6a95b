using System.Globalization;
using System.Text;
using LocalBatch.Testing;
using LocalBatch.Tests.Reliability.Harness;

namespace LocalBatch.Benchmarks;

/// <summary>
/// The reliability tests at a larger size, with their figures written to <c>docs/RELIABILITY.md</c>: a fault soak
/// through a batch job, <c>localbatch run</c> killed (SIGKILL) at many points and run again, a store that fills up,
/// every case of the bad input corpus; then <c>localbatch serve</c> killed at many points of a batch and started again,
/// and every case of serve's HTTP bad input corpus. Each part checks that every custom_id is answered exactly once (lost 0,
/// doubled 0) or that the bad input gave what its case expects; the process exits 1 when any check fails.
/// </summary>
internal static partial class ReliabilityBenchmark
{
    public static async Task<bool> RunAsync(int requests, int kills, string reportPath)
    {
        var work = Path.Combine(Path.GetTempPath(), "localbatch-reliability-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var report = new Report();
        try
        {
            Console.WriteLine($"fault soak: {requests:N0} requests …");
            var soak = await FaultSoak.RunAsync(requests, seed: 1, Path.Combine(work, "soak"));
            Console.WriteLine(soak);
            report.Soak(soak);

            Console.WriteLine($"crash and resume: {kills} kills …");
            report.Crash(await RunCrashLoopAsync(kills, Path.Combine(work, "crash")));

            Console.WriteLine("full disk …");
            report.FullDisk(await RunFullDiskAsync(Path.Combine(work, "disk")));

            Console.WriteLine("bad input corpus …");
            var outcomes = new List<BadInputCorpus.Outcome>();
            foreach (var name in BadInputCorpus.Names())
            {
                var outcome = await BadInputCorpus.RunAsync(name, args => CliProcess.RunAsync(args, BadInputCorpus.CaseTimeout));
                Console.WriteLine($"  {name}: exit {outcome.ExitCode}{(outcome.Passed ? string.Empty : " — " + string.Join("; ", outcome.Problems))}");
                outcomes.Add(outcome);
            }

            report.Corpus(outcomes);

            Console.WriteLine($"serve, crash and resume: {kills} kills …");
            report.ServeCrash(await RunServeCrashLoopAsync(kills, Path.Combine(work, "serve")));

            Console.WriteLine("serve, bad input corpus …");
            report.ServeCorpus(await RunServeCorpusAsync());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(reportPath))!);
        await File.WriteAllTextAsync(reportPath, report.ToMarkdown(requests, kills));
        Console.WriteLine($"{(report.Passed ? "all checks passed" : "SOME CHECKS FAILED")}; written to {reportPath}");
        return report.Passed;
    }

    /// <summary>Kills at random request counts, two while the server is down or coming back, one while copying; three while validating a large file.</summary>
    private static async Task<CrashFigures> RunCrashLoopAsync(int kills, string directory)
    {
        const int Lines = 5_000;
        const int FailEvery = 50;
        Directory.CreateDirectory(directory);
        await using var gateway = await StartGatewayAsync();
        var input = Path.Combine(directory, "jobs.jsonl");
        await File.WriteAllLinesAsync(input, Enumerable.Range(1, Lines).Select(i =>
            $$$"""{"custom_id":"req-{{{i}}}","method":"POST","url":"/v1/completions","body":{"prompt":"{{{(i % FailEvery == 0 ? "FAIL" : "prompt")}}} {{{i}}}","max_tokens":4}}"""));
        var output = Path.Combine(directory, "jobs.output.jsonl");
        var state = Path.Combine(directory, "state");
        var loop = new CrashLoop(gateway, ["run", input, "--endpoint", gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", state], state, output);
        var random = new Random(7);
        var share = Math.Max(2, (Lines / 2) / Math.Max(1, kills)); // about half the file goes by in the killed runs

        await loop.KillAfterRequestsAsync(1);
        for (var i = 0; i < kills - 4; i++)
        {
            await loop.KillAfterRequestsAsync(random.Next(1, share * 2));
        }

        await loop.KillWhileTheServerIsDownAsync(random.Next(1, share * 2));
        await loop.KillWhileTheServerIsDownAsync(random.Next(1, share * 2));
        await loop.KillWhileCopyingAfterAnOutageAsync(random.Next(1, share * 2));
        var final = await loop.RunToEndAsync();
        var check = ExactlyOnceCheck.Of([.. Enumerable.Range(1, Lines).Select(i => $"req-{i}")], output, Path.Combine(directory, "jobs.errors.jsonl"));

        // Killed while validating: a file of large lines, read long enough to be caught at it.
        var bigInput = Path.Combine(directory, "big.jsonl");
        var big = new string('x', 200_000);
        await File.WriteAllLinesAsync(bigInput, Enumerable.Range(1, 100).Select(i =>
            $$$"""{"custom_id":"big-{{{i}}}","method":"POST","url":"/v1/completions","body":{"prompt":"{{{i}}} {{{big}}}","max_tokens":4}}"""));
        var bigState = Path.Combine(directory, "big-state");
        var bigOutput = Path.Combine(directory, "big.output.jsonl");
        var validating = new CrashLoop(gateway, ["run", bigInput, "--endpoint", gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", bigState], bigState, bigOutput);
        for (var i = 0; i < 3; i++)
        {
            await validating.KillWhileValidatingAsync();
        }

        var bigFinal = await validating.RunToEndAsync();
        var bigCheck = ExactlyOnceCheck.Of([.. Enumerable.Range(1, 100).Select(i => $"big-{i}")], bigOutput, Path.Combine(directory, "big.errors.jsonl"));
        return new CrashFigures(
            Lines,
            loop.Runs + validating.Runs,
            loop.Kills,
            validating.KillsWhileValidating,
            gateway.Counters.GetRequests("/v1/completions") - Lines - 100,
            [final.ExitCode, bigFinal.ExitCode],
            check,
            bigCheck,
            Lines / FailEvery);
    }

    /// <summary>The gateway of the crash loops: 4 slots, 2 ms an answer, a prompt holding FAIL refused for good (400).</summary>
    private static Task<SimulatedGateway> StartGatewayAsync() => SimulatedGateway.StartAsync(new SimulatedGatewayOptions
    {
        Slots = 4,
        Latency = TimeSpan.FromMilliseconds(2),
        FaultSelector = request => request.Body?.ToJsonString().Contains("FAIL", StringComparison.Ordinal) == true
            ? new SimulatedFault(SimulatedFaultKind.BadRequest) { Message = "refused for good" }
            : null,
    });

    /// <summary>The store on a small tmpfs (or, without root, a file-size limit): full while validating, then mid-run, then room.</summary>
    private static async Task<DiskFigures> RunFullDiskAsync(string directory)
    {
        const int Lines = 2_000;
        Directory.CreateDirectory(directory);
        await using var gateway = await SimulatedGateway.StartAsync();
        var input = Path.Combine(directory, "jobs.jsonl");
        await File.WriteAllLinesAsync(input, Enumerable.Range(1, Lines).Select(i =>
            $$$"""{"custom_id":"req-{{{i}}}","method":"POST","url":"/v1/completions","body":{"prompt":"prompt {{{i}}}","max_tokens":4}}"""));
        using var store = LimitedStore.Create(Path.Combine(directory, "state"), kilobytes: 64);
        string[] args = ["run", input, "--endpoint", gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", store.Directory];
        var codes = new List<int>();
        foreach (var kilobytes in new[] { 64, 512, 64 * 1024 })
        {
            store.Resize(kilobytes);
            codes.Add((await CliProcess.RunAsync(args, CrashLoop.RunTimeout, store.FileSizeLimitKilobytes)).ExitCode);
        }

        var check = ExactlyOnceCheck.Of([.. Enumerable.Range(1, Lines).Select(i => $"req-{i}")], Path.Combine(directory, "jobs.output.jsonl"), Path.Combine(directory, "jobs.errors.jsonl"));
        return new DiskFigures(store.IsTmpfs, Lines, codes, check);
    }

    private sealed record CrashFigures(int Lines, int Runs, int Kills, int KillsWhileValidating, long Resent, IReadOnlyList<int> FinalExitCodes, ExactlyOnceCheck Check, ExactlyOnceCheck BigCheck, int Permanent)
    {
        public bool Passed => Check.Holds && BigCheck.Holds && Check.ErrorLines == Permanent && FinalExitCodes.SequenceEqual([3, 0]);
    }

    private sealed record DiskFigures(bool Tmpfs, int Lines, IReadOnlyList<int> ExitCodes, ExactlyOnceCheck Check)
    {
        public bool Passed => Check.Holds && ExitCodes.SequenceEqual([1, 1, 0]);
    }

    /// <summary>The figures, as markdown.</summary>
    private sealed partial class Report
    {
        private readonly StringBuilder _body = new();
        private readonly List<(string Part, ExactlyOnceCheck Check)> _checks = [];

        public bool Passed { get; private set; } = true;

        public void Soak(FaultSoak.Report soak)
        {
            var passed = soak.Check.Holds && soak.Check.Errors.All(error => error.Status == 400) && soak.Check.ErrorLines == soak.Permanent && soak.Retries == soak.TransientFaults;
            Passed &= passed;
            _checks.Add(("fault soak", soak.Check));
            Line("## Fault soak");
            Line();
            Line($"{soak.Requests:N0} requests through `BatchJobManager` against the simulated llama-server, which injects at once, drawn from a seeded generator for every attempt: 10% 503 (loading model), 5% 500, 2% connection resets, 1% truncated JSON bodies, 1% 429 with `Retry-After`, 2% slow answers (20 ms); and one request in {FaultSoak.PermanentEvery} refused (400) every time. The client retries fast (1–10 ms) and up to 20 times.");
            Line();
            Line("| | |");
            Line("|---|---|");
            Row("requests", soak.Requests);
            Row("attempts the server saw", soak.Attempts);
            foreach (var (kind, label) in new[]
            {
                (SimulatedFaultKind.ServiceUnavailable, "503 loading model"),
                (SimulatedFaultKind.InternalServerError, "500 server error"),
                (SimulatedFaultKind.ConnectionReset, "connection resets"),
                (SimulatedFaultKind.TruncatedBody, "truncated JSON bodies"),
                (SimulatedFaultKind.TooManyRequests, "429 with Retry-After"),
                (SimulatedFaultKind.SlowResponse, "slow answers"),
            })
            {
                Row($"faults injected: {label}", soak.Faults[kind]);
            }

            Row("retries (`localbatch.requests.retried`)", soak.Retries);
            Row("refused for good (400), in the error file", soak.Check.ErrorLines);
            Row("answered, in the output file", soak.Check.OutputLines);
            Row("lost", soak.Check.Lost);
            Row("doubled", soak.Check.Doubled);
            Line($"| time | {soak.Elapsed.TotalSeconds:0.0} s |");
            Line($"| result | {(passed ? "every custom_id exactly once; only the permanent errors in the error file; one retry per transient fault" : "FAILED: " + soak.Check)} |");
            Line();
        }

        public void Crash(CrashFigures crash)
        {
            Passed &= crash.Passed;
            _checks.Add(("crash and resume", crash.Check));
            _checks.Add(("killed while validating", crash.BigCheck));
            Line("## Crash and resume");
            Line();
            Line($"`localbatch run` as a child process on a {crash.Lines:N0}-line file (one line in 50 refused for good), killed with SIGKILL at its first request, at random request counts, twice while the server is down (it comes back before the next run), once as it copies its results after an outage; then on a 20 MB file of large lines, killed three times as it validates. The same command is run again after each kill, until it exits 0 or 3.");
            Line();
            Line("| | |");
            Line("|---|---|");
            Row("runs", crash.Runs);
            Row("kills that landed while it ran", crash.Kills + crash.KillsWhileValidating);
            Row("of which while validating", crash.KillsWhileValidating);
            Row("requests sent again after a kill (in flight when it landed)", crash.Resent);
            Row("lines in the output and error files", crash.Check.OutputLines + crash.Check.ErrorLines + crash.BigCheck.OutputLines + crash.BigCheck.ErrorLines);
            Row("lost", crash.Check.Lost + crash.BigCheck.Lost);
            Row("doubled", crash.Check.Doubled + crash.BigCheck.Doubled);
            Row("torn or invalid lines", crash.Check.BadLines + crash.BigCheck.BadLines);
            Line($"| result | {(crash.Passed ? "every custom_id exactly once, in whole JSON lines" : "FAILED: " + crash.Check + "; " + crash.BigCheck)} |");
            Line();
        }

        public void FullDisk(DiskFigures disk)
        {
            Passed &= disk.Passed;
            _checks.Add(("full disk", disk.Check));
            Line("## Full disk");
            Line();
            Line(disk.Tmpfs
                ? $"The store on a tmpfs of 64 KB (the input's copy does not fit), then 512 KB (it fills up mid-run), then 64 MB; the same {disk.Lines:N0}-line command each time."
                : $"The store limited by a file-size limit on the child process (64 KB, then 512 KB, then 64 MB; a tmpfs could not be mounted); the same {disk.Lines:N0}-line command each time.");
            Line();
            Line("| | |");
            Line("|---|---|");
            Line($"| exit codes | {string.Join(", ", disk.ExitCodes)} |");
            Row("lost", disk.Check.Lost);
            Row("doubled", disk.Check.Doubled);
            Row("torn or invalid lines", disk.Check.BadLines);
            Line($"| result | {(disk.Passed ? "stopped resumably twice, finished once there was room, every custom_id exactly once" : "FAILED: " + disk.Check)} |");
            Line();
        }

        public void Corpus(IReadOnlyList<BadInputCorpus.Outcome> outcomes)
        {
            var failed = outcomes.Where(outcome => !outcome.Passed).ToList();
            Passed &= failed.Count == 0;
            Line("## Bad input corpus");
            Line();
            Line($"Every case of `tests/LocalBatch.Tests/Corpus/` run through `localbatch run` as a child process: the exit code, the line-numbered error, nothing sent for a refused file, no stack trace, no hang.");
            Line();
            Line("| | |");
            Line("|---|---|");
            Row("bad inputs tried", outcomes.Count);
            Row("refused (exit 2)", outcomes.Count(outcome => outcome.ExitCode == 2));
            Row("accepted where OpenAI accepts them", outcomes.Count(outcome => outcome.ExitCode is 0 or 3));
            Row("requests sent for refused inputs", outcomes.Where(outcome => outcome.ExitCode == 2).Sum(outcome => outcome.Sent));
            Row("as their case expects", outcomes.Count - failed.Count);
            Line($"| result | {(failed.Count == 0 ? "all as expected" : "FAILED: " + string.Join(", ", failed.Select(outcome => outcome.Name)))} |");
            Line();
        }

        public string ToMarkdown(int requests, int kills)
        {
            var head = new StringBuilder();
            head.AppendLine("# Reliability");
            head.AppendLine();
            head.AppendLine(CultureInfo.InvariantCulture, $"Produced by `dotnet run -c Release --project bench/LocalBatch.Benchmarks reliability {requests} {kills}` on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}. The test suite runs the same harness smaller (`tests/LocalBatch.Tests/Reliability/`, `tests/LocalBatch.Server.Tests/Reliability/`).");
            head.AppendLine();
            head.AppendLine("| | lost | doubled |");
            head.AppendLine("|---|---|---|");
            foreach (var (part, check) in _checks)
            {
                head.AppendLine(CultureInfo.InvariantCulture, $"| {part} | {check.Lost} | {check.Doubled} |");
            }

            head.AppendLine(CultureInfo.InvariantCulture, $"| **all** | **{_checks.Sum(c => c.Check.Lost)}** | **{_checks.Sum(c => c.Check.Doubled)}** |");
            head.AppendLine();
            return head.Append(_body).ToString();
        }

        private void Row(string label, long value) => Line(string.Create(CultureInfo.InvariantCulture, $"| {label} | {value:N0} |"));

        private void Line(string text = "") => _body.AppendLine(text);
    }
}
