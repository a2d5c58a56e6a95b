using LocalBatch.Cli;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>
/// The files at -o and -e are the user's own: what the user does to them never reaches the store, and a rerun that finds
/// one changed or missing says so and writes it again from the store.
/// </summary>
public sealed class LocalBatchCliOutputFilesTests
{
    [Theory]
    [InlineData("emptied")]
    [InlineData("appended")]
    [InlineData("deleted")]
    public async Task Run_OutputChangedByTheUser_StoreKeepsTheAnswers_RerunSaysSoAndWritesItAgain(string change)
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        var output = Path.Combine(env.StoreDirectory, "jobs.output.jsonl");
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Success, (await RunCliAsync(args)).ExitCode);
        var written = File.ReadAllText(output);
        var id = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));
        switch (change)
        {
            case "emptied":
                File.WriteAllText(output, string.Empty); // `: > out.jsonl`: the same file, cut to nothing
                break;
            case "appended":
                File.AppendAllText(output, "{\"custom_id\":\"mine\"}\n");
                break;
            default:
                File.Delete(output);
                break;
        }

        var results = await RunCliAsync("batches", "results", id, "--state-dir", StateDir(env));
        Assert.Equal(Total, Lines(results.Output).Length);

        var rerun = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, rerun.ExitCode);
        Assert.Contains(
            change == "deleted" ? $"{output} is missing; writing it again from the store" : $"{output} was changed since localbatch wrote it; writing it again from the store",
            rerun.Error,
            StringComparison.Ordinal);
        Assert.DoesNotContain("jobs.errors.jsonl is missing", rerun.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("jobs.errors.jsonl was changed", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(written, File.ReadAllText(output));
        Assert.Contains($"completed: {Total} succeeded, 0 failed of {Total}", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(Total, env.ChatRequests);
    }

    [Fact]
    public async Task Run_OutputsAsTheToolLeftThem_RerunSaysNothingAboutThem_AndNeitherSharesTheStoresFile()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total, i => i == 2 ? "FAIL 2" : $"prompt {i}"));
        var output = Path.Combine(env.StoreDirectory, "jobs.output.jsonl");
        var errors = Path.Combine(env.StoreDirectory, "jobs.errors.jsonl");
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.SomeFailed, (await RunCliAsync(args)).ExitCode);
        var batch = Assert.Single(Directory.GetDirectories(StateDir(env)));

        var rerun = await RunCliAsync([.. args, "-v"]);

        Assert.Equal(ExitCodes.SomeFailed, rerun.ExitCode);
        Assert.DoesNotContain("writing it again", rerun.Error, StringComparison.Ordinal);
        Assert.Contains($"wrote {output} from the store", rerun.Error, StringComparison.Ordinal);
        foreach (var path in new[] { output, errors, Path.Combine(batch, "output.jsonl"), Path.Combine(batch, "errors.jsonl") })
        {
            Assert.Equal("1", LinkCount(path));
        }
    }
}
