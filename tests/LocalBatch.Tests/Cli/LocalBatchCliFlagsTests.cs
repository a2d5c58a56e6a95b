using System.Text.Json;
using LocalBatch.Cli;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>localbatch run --json, -v/-q and the status lines, --help's exit codes and variables, shell completion.</summary>
public sealed class LocalBatchCliFlagsTests
{
    [Fact]
    public async Task Run_Json_PrintsOneParsableSummaryOnStdout()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total, i => i == 3 ? "FAIL" : "ok " + i));

        var run = await RunCliAsync("run", input, "--json", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.SomeFailed, run.ExitCode);
        using var json = JsonDocument.Parse(Assert.Single(Lines(run.Output)));
        var summary = json.RootElement;
        Assert.Equal("localbatch.run", summary.GetProperty("object").GetString());
        Assert.Equal(Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env)))), summary.GetProperty("batch_id").GetString());
        Assert.Equal(0, summary.GetProperty("retry_batch_ids").GetArrayLength());
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(input, summary.GetProperty("input_file").GetString());
        Assert.Equal(Path.Combine(env.StoreDirectory, "jobs.output.jsonl"), summary.GetProperty("output_file").GetString());
        Assert.Equal(Path.Combine(env.StoreDirectory, "jobs.errors.jsonl"), summary.GetProperty("error_file").GetString());
        var counts = summary.GetProperty("request_counts");
        Assert.Equal((6, 5, 1), (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32()));
        var usage = summary.GetProperty("usage");
        Assert.True(usage.GetProperty("total_tokens").GetInt64() > 0);
        Assert.Equal(usage.GetProperty("input_tokens").GetInt64() + usage.GetProperty("output_tokens").GetInt64(), usage.GetProperty("total_tokens").GetInt64());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("errors").ValueKind);
        Assert.True(summary.GetProperty("elapsed_seconds").GetDouble() >= 0);
        Assert.Equal(ExitCodes.SomeFailed, summary.GetProperty("exit_code").GetInt32());
        Assert.Contains("1 failed of 6", run.Error, StringComparison.Ordinal); // the person's summary stays on stderr
    }

    [Fact]
    public async Task Run_JsonInvalidInput_SummaryHasTheValidationErrors()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "bad.jsonl", ChatLine("a") + "\n{oops\n");

        var run = await RunCliAsync("run", input, "--json", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal("failed", json.RootElement.GetProperty("status").GetString());
        var error = Assert.Single(json.RootElement.GetProperty("errors").GetProperty("data").EnumerateArray());
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        Assert.Equal(ExitCodes.InvalidInput, json.RootElement.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Run_JsonInterrupted_SummarySaysInProgressAndExitOne()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));

        var run = await RunUntilInterruptedAsync(env, ["run", input, "--json", "--concurrency", "1", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)], pauseAt: 3);

        Assert.Equal(ExitCodes.Fatal, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal("in_progress", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(ExitCodes.Fatal, json.RootElement.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Run_DefaultVerbosity_SaysOneLineForARetry_QuietSaysNothingButErrors()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        string[] args = ["run", input, "--concurrency", "1", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env), "--api-key", "sk-status-lines"];
        env.Gateway.EnqueueFault(new SimulatedFault(SimulatedFaultKind.TooManyRequests) { Path = Chat, RetryAfter = TimeSpan.FromSeconds(1) });

        var normal = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Success, normal.ExitCode);
        var retry = Assert.Single(Lines(normal.Error), line => line.Contains("retrying", StringComparison.Ordinal));
        Assert.Equal("localbatch: retrying POST /v1/chat/completions in 1.0 s (retry 1): The gateway answered 429 (rate_limit_error) to /v1/chat/completions: Too many requests", retry);
        Assert.DoesNotContain("sk-status-lines", normal.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("prompt 1", normal.Error, StringComparison.Ordinal);

        File.WriteAllText(input, ChatLines(3));
        var quiet = await RunCliAsync([.. args, "-q"]);

        Assert.Equal(ExitCodes.Success, quiet.ExitCode);
        Assert.Equal(string.Empty, quiet.Error);
    }

    [Fact]
    public async Task Run_Verbose_SaysTheConcurrencyChosen()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));

        var run = await RunCliAsync("run", input, "-v", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("localbatch: info: Server " + env.Gateway.Endpoint.GetLeftPart(UriPartial.Authority), run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("prompt 1", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-v", "-q")]
    [InlineData("--all-failures", null)]
    public async Task Run_FlagsThatDoNotGoTogether_ExitTwo(string flag, string? other)
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        string[] args = ["run", input, flag, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)];

        var run = await RunCliAsync(other is null ? args : [.. args, other]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Equal(0, env.ChatRequests);
    }

    [Fact]
    public async Task Help_ListsTheExitCodesAndTheEnvironmentVariables()
    {
        var help = await RunCliAsync("--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Exit codes:", help.Output, StringComparison.Ordinal);
        foreach (var code in new[] { "  0  ", "  1  ", "  2  ", "  3  " })
        {
            Assert.Contains(code, help.Output, StringComparison.Ordinal);
        }

        foreach (var variable in new[] { "LOCALBATCH_ENDPOINT", "LOCALBATCH_API_KEY", "LOCALBATCH_SERVE_API_KEY" })
        {
            Assert.Contains(variable, help.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Suggest_PartialCommandsAndOptions_AreCompleted()
    {
        var commands = await RunCliAsync("[suggest:13]", "localbatch ba");
        var options = await RunCliAsync("[suggest:29]", "localbatch run x.jsonl --retr");

        Assert.Equal(["batches"], Lines(commands.Output));
        Assert.Equal(["--retry-failed"], Lines(options.Output));
    }

    [Fact]
    public async Task Completion_Bash_PrintsAScriptThatAsksTheSuggestDirective()
    {
        var script = await RunCliAsync("completion", "bash");
        var other = await RunCliAsync("completion", "fish");

        Assert.Equal(0, script.ExitCode);
        Assert.Contains("complete -o default -F _localbatch_complete localbatch", script.Output, StringComparison.Ordinal);
        Assert.Contains("\"[suggest:${COMP_POINT}]\" \"${COMP_LINE}\"", script.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.InvalidInput, other.ExitCode);
    }
}
