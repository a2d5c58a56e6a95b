using LocalBatch.Cli;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>localbatch run over several servers, and with a latency-based concurrency.</summary>
public sealed class LocalBatchCliServersTests
{
    [Fact]
    public async Task Run_EndpointRepeated_SpreadsTheFileOverEveryServerAndNamesThem()
    {
        await using var env = await StartAsync();
        await using var second = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 4, Latency = TimeSpan.FromMilliseconds(5) });
        env.Gateway.Options.Latency = TimeSpan.FromMilliseconds(5);
        var input = WriteInput(env, "jobs.jsonl", ChatLines(40));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--endpoint", second.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(40, env.ChatRequests + second.Counters.GetRequests(Chat));
        Assert.True(env.ChatRequests > 0 && second.Counters.GetRequests(Chat) > 0, $"{env.ChatRequests} and {second.Counters.GetRequests(Chat)}");
        Assert.Contains(env.Gateway.Endpoint.ToString(), run.Error, StringComparison.Ordinal);
        Assert.Contains(second.Endpoint.ToString(), run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConcurrencyAdaptive_FindsItFromLatencyWithoutAskingProps()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "adaptive", "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(0, env.Gateway.Counters.GetRequests("/props"));
    }

    [Theory]
    [InlineData("ftp://x")]
    [InlineData("nonsense")]
    public async Task Run_OneEndpointBad_ExitsTwoNamingIt(string bad)
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--endpoint", bad, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains(bad, run.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.ChatRequests);
    }
}
