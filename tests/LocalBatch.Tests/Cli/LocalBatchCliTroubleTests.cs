using System.Text.Json;
using LocalBatch.Cli;
using LocalBatch.Server.Tests.Support;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>localbatch run says what is wrong, quickly: a dead endpoint, a trailing /v1, a server that never answers, and why lines failed.</summary>
public sealed class LocalBatchCliTroubleTests
{
    [Fact]
    public async Task Run_EndpointDeadAtStart_ExitsTwoAtOnceNamingTheAddressAndTheFlag()
    {
        await using var env = await StartAsync();
        await env.Gateway.StopListeningAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        var address = env.Gateway.Endpoint.ToString().TrimEnd('/');

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"cannot reach the server at {address}: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was sent. Check --endpoint (or LOCALBATCH_ENDPOINT)", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(StateDir(env)) && Directory.EnumerateDirectories(StateDir(env), "batch_*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Run_OneOfTwoEndpointsDeadAtStart_SaysSoAndRunsOnTheOther()
    {
        await using var env = await StartAsync();
        await using var dead = await SimulatedGateway.StartAsync();
        await dead.StopListeningAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--endpoint", dead.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains($"cannot reach {dead.Endpoint.ToString().TrimEnd('/')} (", run.Error, StringComparison.Ordinal);
        Assert.Contains("the run goes on on the other servers", run.Error, StringComparison.Ordinal);
        Assert.Equal(Total, env.ChatRequests);
    }

    [Fact]
    public async Task Run_EndpointEndingInV1_RunsWithoutItAndSaysSoWithVerbose()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        var withV1 = new Uri(env.Gateway.Endpoint, "v1").ToString();

        var run = await RunCliAsync("run", input, "--endpoint", withV1, "--state-dir", StateDir(env), "-v");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(Total, env.ChatRequests);
        Assert.Contains($"--endpoint {withV1}: using {env.Gateway.Endpoint} (without the trailing /v1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EndpointNotTheServersBase_SummaryNamesThe404sWithAHint()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        var wrong = new Uri(env.Gateway.Endpoint, "llm").ToString();

        var run = await RunCliAsync("run", input, "--endpoint", wrong, "--state-dir", StateDir(env), "--json");

        Assert.Equal(ExitCodes.SomeFailed, run.ExitCode);
        Assert.Contains("answers 404 to /health and to /v1/models", run.Error, StringComparison.Ordinal);
        Assert.Contains("failed lines by cause: 6 × 404", run.Error, StringComparison.Ordinal);
        Assert.Contains("--endpoint is not the server's base address", run.Error, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(run.Output);
        var cause = Assert.Single(summary.RootElement.GetProperty("failure_causes").EnumerateArray());
        Assert.StartsWith("404", cause.GetProperty("cause").GetString(), StringComparison.Ordinal);
        Assert.Equal(6, cause.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Run_SomeLinesFail_SummaryNamesTheMainCausesWithCounts()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total, i => i <= 2 ? "FAIL " + i : "ok " + i));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env), "--json");

        Assert.Equal(ExitCodes.SomeFailed, run.ExitCode);
        Assert.Contains("failed lines by cause: 2 × 400 invalid_request_error (The prompt was refused)", run.Error, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(run.Output);
        var cause = Assert.Single(summary.RootElement.GetProperty("failure_causes").EnumerateArray());
        Assert.Equal(("400 invalid_request_error", 2, "The prompt was refused"), (cause.GetProperty("cause").GetString(), cause.GetProperty("count").GetInt32(), cause.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Run_ServerTakesRequestsAndNeverAnswers_SaysWhatItWaitsForThenThatAnswersCameBack()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        env.Gateway.Pause();
        var stderr = new SignallingWriter();
        using var interruption = Interruption.From(CancellationToken.None);
        var context = CliContext.ForWriters(TextWriter.Null, stderr, isTerminal: false, interruption) with { StallNotice = TimeSpan.FromSeconds(1) };

        var running = LocalBatchCli.InvokeAsync(["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "2", "--state-dir", StateDir(env)], context);
        await stderr.WaitForAsync($"requests in flight with no answer yet: 2 at {env.Gateway.Endpoint.ToString().TrimEnd('/')}");
        env.Gateway.Resume();
        var exitCode = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("waiting: no request has finished for ", stderr.Text, StringComparison.Ordinal);
        Assert.Contains("an attempt is given up and sent again after 10 min (--timeout)", stderr.Text, StringComparison.Ordinal);
        Assert.Contains("requests finish again, after ", stderr.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Timeout_CutsAnAttemptThatGetsNoAnswerAndSaysTheFlagNotTheLibrarySetting()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(1));
        env.Gateway.Pause();

        // The probe's /health, then the attempt that gets no answer, then the one sent again after --timeout.
        var running = RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--timeout", "1s", "--state-dir", StateDir(env));
        await env.Gateway.WaitForRequestsAsync(3).WaitAsync(TimeSpan.FromSeconds(30));
        env.Gateway.Resume();
        var run = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("within the attempt timeout of 00:00:01 (--timeout)", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("LocalBatchOptions", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0s")]
    [InlineData("8d")]
    public async Task Run_TimeoutNotADuration_ExitsTwoAndSendsNothing(string value)
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--timeout", value, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.StartsWith("localbatch: --timeout ", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }
}
