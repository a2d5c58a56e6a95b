using LocalBatch.Cli;
using LocalBatch.Tests.Reliability.Harness;
using Xunit.Abstractions;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Reliability;

/// <summary>localbatch run on a store that fills up: it stops resumably, with nothing torn, and finishes once there is room.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = CrashLoop.RunTimeout;

    // outputsOnTheStoreDisk: -o and -e on the store's file system, whose copies of the results need room there too (a
    // full disk mid-run leaves them as they were, and says so); elsewhere they are copies of whole lines.
    // fileSizeLimit: each file limited (EFBIG, as on FAT32) rather than the disk full (ENOSPC), even where a tmpfs can be had.
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Run_StoreFullWhileValidatingThenMidRun_StopsResumablyAndFinishesOnceThereIsRoom(bool outputsOnTheStoreDisk, bool fileSizeLimit)
    {
        const int Lines = 1000;
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Lines, i => i % 100 == 0 ? $"FAIL {i}" : $"prompt {i}"));
        using var store = LimitedStore.Create(StateDir(env), kilobytes: 64, fileSizeLimit);
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "4", "--state-dir", store.Directory];
        var outputs = outputsOnTheStoreDisk ? store.Directory : env.StoreDirectory;
        var outputPath = Path.Combine(outputs, "jobs.output.jsonl");
        var errorsPath = Path.Combine(outputs, "jobs.errors.jsonl");
        args = [.. args, "-o", outputPath, "-e", errorsPath];

        // No room for the input's copy: nothing is sent.
        var validating = await CliProcess.RunAsync(args, RunTimeout, store.FileSizeLimitKilobytes);

        output.WriteLine($"{(store.IsTmpfs ? "tmpfs" : "file-size limit")}; while validating: {validating.Error}");
        Assert.Equal(ExitCodes.Fatal, validating.ExitCode);
        Assert.Contains(store.FullMessage, validating.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", validating.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.ChatRequests);

        // Room for the input, not for every answer: the run stops midway, what finished is kept in whole lines.
        store.Resize(400);
        var midRun = await CliProcess.RunAsync(args, RunTimeout, store.FileSizeLimitKilobytes);

        output.WriteLine($"mid-run: {midRun.Error}");
        Assert.Equal(ExitCodes.Fatal, midRun.ExitCode);
        Assert.Contains(store.FullMessage, midRun.Error, StringComparison.Ordinal);
        Assert.Contains("run the same command again to resume", midRun.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", midRun.Error, StringComparison.Ordinal);
        Assert.InRange(env.ChatRequests, 1, Lines - 1);
        var partial = ExactlyOnceCheck.Of([.. Expected(Lines)], outputPath, errorsPath);
        Assert.True(partial.Lost > 0 && partial.Doubled == 0 && partial.BadLines == 0, partial.ToString());

        // Room again: the same command resumes and finishes.
        store.Resize(64 * 1024);
        var final = await CliProcess.RunAsync(args, RunTimeout, store.FileSizeLimitKilobytes);

        output.WriteLine($"with room: {final.Error}; {env.ChatRequests} requests for {Lines} lines");
        Assert.Equal(ExitCodes.SomeFailed, final.ExitCode);
        var check = ExactlyOnceCheck.Of([.. Expected(Lines)], outputPath, errorsPath);
        Assert.True(check.Holds, check.ToString());
        Assert.Equal(Lines / 100, check.ErrorLines);
        Assert.All(check.Errors, error => Assert.Equal(400, error.Status));
    }
}
