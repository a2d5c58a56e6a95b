using System.Runtime.Versioning;
using LocalBatch.Cli;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>localbatch run: what it says about its input and result paths, and a server that refuses the key.</summary>
public sealed class LocalBatchCliInputTests
{
    [Fact]
    public async Task Run_InputIsADirectory_SaysSoAndExitsTwo()
    {
        await using var env = await StartAsync();
        var directory = Path.Combine(env.StoreDirectory, "jobs.jsonl");
        Directory.CreateDirectory(directory);

        var run = await RunCliAsync("run", directory, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Equal($"localbatch: The input '{directory}' is a directory; give the JSONL batch file to run.", run.Error.Trim());
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData("output-is-input")]
    [InlineData("errors-is-input")]
    [InlineData("same-output-and-errors")]
    [InlineData("output-is-directory")]
    [InlineData("state-dir-is-file")]
    public async Task Run_ResultPathsThatWouldOverwriteSomething_ExitTwoAndLeaveTheInputAlone(string problem)
    {
        await using var env = await StartAsync();
        var content = ChatLines(2);
        var input = WriteInput(env, "jobs.jsonl", content);
        var elsewhere = Path.Combine(env.StoreDirectory, "other.jsonl");
        string[] paths = problem switch
        {
            "output-is-input" => ["-o", input],
            "errors-is-input" => ["-e", input],
            "same-output-and-errors" => ["-o", elsewhere, "-e", elsewhere],
            "output-is-directory" => ["-o", env.StoreDirectory],
            _ => [],
        };
        var stateDirectory = problem == "state-dir-is-file" ? input : StateDir(env);

        var run = await RunCliAsync(["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", stateDirectory, .. paths]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.StartsWith("localbatch: --", run.Error, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(input));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Run_UnreadableInput_SaysPermissionDeniedUnlessRunAsRoot()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(2));
        File.SetUnixFileMode(input, UnixFileMode.None);

        var run = await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--state-dir", StateDir(env));

        if (Environment.IsPrivilegedProcess)
        {
            // root reads a file whatever its mode: the run goes ahead as for any readable file.
            Assert.Equal(ExitCodes.Success, run.ExitCode);
        }
        else
        {
            Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
            Assert.Equal($"localbatch: The input file '{input}' cannot be read: permission denied.", run.Error.Trim());
            Assert.Equal(0, env.Gateway.Counters.TotalRequests);
        }
    }

    [Fact]
    public async Task Run_LineOverMaxLineBytes_ExitsTwoNamingTheLine()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLine("a") + "\n" + ChatLine("b", new string('x', 2_000)) + "\n");

        var run = await RunCliAsync("run", input, "--max-line-bytes", "1000", "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("  line 2: line_too_large: The line has 2,", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, env.ChatRequests); // only the start-up look at /health
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("4MB")]
    [InlineData("2000000000")]
    public async Task Run_BadMaxLineBytes_ExitsTwo(string value)
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(1));

        var run = await RunCliAsync("run", input, "--max-line-bytes", value, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.StartsWith("localbatch: --max-line-bytes must be a number of bytes from 1 to 1073741824", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ServerRefusesTheKey_StopsAtOnceNamingTheFixThenResumesWithTheRightKey()
    {
        await using var env = await StartAsync();
        env.Gateway.Options.ApiKey = "right-key-0c41";
        var input = WriteInput(env, "jobs.jsonl", ChatLines(40));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "2", "--state-dir", StateDir(env)];

        var refused = await RunCliAsync([.. args, "--api-key", "wrong-key-9e2b"]);

        Assert.Equal(ExitCodes.Fatal, refused.ExitCode);
        Assert.Contains(
            "localbatch: stopped: the server refused the API key (401 authentication_error: Invalid API Key); no more requests were sent. Give the right key with --api-key or LOCALBATCH_API_KEY.",
            refused.Error,
            StringComparison.Ordinal);
        Assert.Contains("localbatch: 0 of 40 done", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-9e2b", refused.Error, StringComparison.Ordinal);
        Assert.InRange(env.ChatRequests, 1, 2 * 2); // in flight at the first refusal, and at most once more should WaitAsync take the stopped batch up again

        var withoutKey = await RunCliAsync(args);

        Assert.Equal(ExitCodes.Fatal, withoutKey.ExitCode);
        Assert.Contains("the server requires an API key and none was given", withoutKey.Error, StringComparison.Ordinal);

        var resumed = await RunCliAsync([.. args, "--api-key", "right-key-0c41"]);

        Assert.Equal(ExitCodes.Success, resumed.ExitCode);
        Assert.Contains("resuming batch", resumed.Error, StringComparison.Ordinal);
        Assert.Equal(Expected(40), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Single(Directory.GetDirectories(StateDir(env)));
    }
}
