using System.Text.Json;
using LocalBatch.Cli;
using LocalBatch.Tests.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>localbatch batches list, get, results and cancel.</summary>
public sealed class LocalBatchCliBatchesTests
{
    [Fact]
    public async Task Batches_ListAndGet_ShowTheOwnerOfABatchThatHasOne()
    {
        await using var env = await StartAsync();
        string id;
        await using (var manager = new LocalBatch.Batches.BatchJobManager(env.Processor, new LocalBatch.Batches.BatchJobManagerOptions { StoreDirectory = StateDir(env) }))
        {
            id = (await manager.WaitAsync((await manager.CreateAsync(ToStream(ChatLines(1)), options: new LocalBatch.Batches.BatchCreateOptions { Owner = "ana" })).Id)).Id;
        }

        var list = await RunCliAsync("batches", "list", "--state-dir", StateDir(env));
        var get = await RunCliAsync("batches", "get", id, "--state-dir", StateDir(env));

        Assert.Contains("(owner ana)", list.Output, StringComparison.Ordinal);
        using var batch = JsonDocument.Parse(get.Output);
        Assert.Equal("ana", batch.RootElement.GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Batches_ListGetResults_ShowTheStore()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(3, i => i == 3 ? "FAIL" : "ok"));
        Assert.Equal(ExitCodes.SomeFailed, (await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env))).ExitCode);
        var id = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));

        var list = await RunCliAsync("batches", "list", "--state-dir", StateDir(env));
        var listJson = await RunCliAsync("batches", "list", "--json", "--limit", "5", "--state-dir", StateDir(env));
        var get = await RunCliAsync("batches", "get", id, "--state-dir", StateDir(env));
        var results = await RunCliAsync("batches", "results", id, "--state-dir", StateDir(env));
        var errors = await RunCliAsync("batches", "results", id, "--errors", "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, list.ExitCode);
        Assert.Contains(LocalBatch.Cli.Commands.BatchIds.Short(id) + "  completed", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(id, list.Output, StringComparison.Ordinal);
        using (var page = JsonDocument.Parse(listJson.Output))
        {
            Assert.Equal("list", page.RootElement.GetProperty("object").GetString());
            Assert.Equal(id, page.RootElement.GetProperty("first_id").GetString());
            Assert.False(page.RootElement.GetProperty("has_more").GetBoolean());
        }

        using (var batch = JsonDocument.Parse(get.Output))
        {
            Assert.Equal(ExitCodes.Success, get.ExitCode);
            Assert.Equal("batch", batch.RootElement.GetProperty("object").GetString());
            Assert.Equal("completed", batch.RootElement.GetProperty("status").GetString());
            Assert.Equal(1, batch.RootElement.GetProperty("request_counts").GetProperty("failed").GetInt32());
            Assert.Equal(JsonValueKind.Null, batch.RootElement.GetProperty("cancelled_at").ValueKind);
            Assert.Equal(JsonValueKind.Null, batch.RootElement.GetProperty("expires_at").ValueKind); // a local run never expires
        }

        Assert.Equal(["req-1", "req-2"], Lines(results.Output).Select(CustomIdOf).Order(StringComparer.Ordinal));
        Assert.Equal(["req-3"], Lines(errors.Output).Select(CustomIdOf));
        Assert.Equal(3, env.ChatRequests);
    }

    [Fact]
    public async Task BatchesList_ManyBatches_PagesWithAfterHint()
    {
        await using var env = await StartAsync();
        for (var i = 0; i < 3; i++)
        {
            var input = WriteInput(env, $"jobs{i}.jsonl", ChatLines(1));
            Assert.Equal(ExitCodes.Success, (await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env))).ExitCode);
        }

        var first = await RunCliAsync("batches", "list", "--limit", "2", "--state-dir", StateDir(env));
        var lastId = first.Output.Split("--after ")[1].TrimEnd().TrimEnd(')');
        var second = await RunCliAsync("batches", "list", "--limit", "2", "--after", lastId, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Equal(4, Lines(first.Output).Length);
        Assert.Equal(2, Lines(second.Output).Length);
        Assert.DoesNotContain("--after", second.Output, StringComparison.Ordinal);
        var ids = Lines(first.Output).Skip(1).Take(2).Concat(Lines(second.Output).Skip(1)).Select(l => l.Split(' ')[0]).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(lastId, ids[1]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    public async Task BatchesList_LimitOutOfRange_ExitsTwo(string limit)
    {
        await using var env = await StartAsync();

        var run = await RunCliAsync("batches", "list", "--limit", limit, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("--limit", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get", "batch_0123abcd")]
    [InlineData("get", "../x")]
    [InlineData("get", "batch_../../etc")]
    [InlineData("results", "batch_0123abcd")]
    [InlineData("cancel", "../x")]
    public async Task Batches_UnknownOrInvalidId_ExitsTwo(string command, string id)
    {
        await using var env = await StartAsync();
        Directory.CreateDirectory(StateDir(env));

        var run = await RunCliAsync("batches", command, id, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.StartsWith("localbatch: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batches_CancelCompleted_ExitsTwo()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(1));
        Assert.Equal(ExitCodes.Success, (await RunCliAsync("run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--state-dir", StateDir(env))).ExitCode);
        var id = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));

        var cancel = await RunCliAsync("batches", "cancel", id, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.InvalidInput, cancel.ExitCode);
        Assert.Contains("already completed", cancel.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batches_CancelInterruptedRun_CancelsWithoutSendingAndTheRerunSendsOnlyWhatItHadNotAnswered()
    {
        await using var env = await StartAsync();
        var input = WriteInput(env, "jobs.jsonl", ChatLines(Total));
        string[] args = ["run", input, "--endpoint", env.Gateway.Endpoint.ToString(), "--concurrency", "1", "--state-dir", StateDir(env)];
        Assert.Equal(ExitCodes.Fatal, (await RunUntilInterruptedAsync(env, args, pauseAt: 3)).ExitCode);
        var id = Path.GetFileName(Assert.Single(Directory.GetDirectories(StateDir(env))));
        var sentBefore = env.ChatRequests;

        var cancel = await RunCliAsync("batches", "cancel", id, "--state-dir", StateDir(env));

        Assert.Equal(ExitCodes.Success, cancel.ExitCode);
        using (var batch = JsonDocument.Parse(cancel.Output))
        {
            Assert.Equal("cancelled", batch.RootElement.GetProperty("status").GetString());
            Assert.Equal(Total, batch.RootElement.GetProperty("request_counts").GetProperty("completed").GetInt32() + batch.RootElement.GetProperty("request_counts").GetProperty("failed").GetInt32());
        }

        Assert.Equal(sentBefore, env.ChatRequests);
        var errors = await RunCliAsync("batches", "results", id, "--errors", "--state-dir", StateDir(env));
        Assert.All(Lines(errors.Output), line => Assert.Contains("\"batch_cancelled\"", line, StringComparison.Ordinal));

        env.PauseAtChatRequest(0);
        env.Gateway.Resume();
        var answered = BatchResumeTests.ReadCustomIds(Path.Combine(StateDir(env), id, "output.jsonl")).Count();
        Assert.InRange(answered, 1, Total - 1);
        var rerun = await RunCliAsync(args);
        Assert.Equal(ExitCodes.Success, rerun.ExitCode);
        Assert.Contains($"reusing {answered} answers from batch {id} (the file's last run)", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(sentBefore + Total - answered, env.ChatRequests);
        Assert.Equal(Expected(Total), CustomIds(Path.Combine(env.StoreDirectory, "jobs.output.jsonl")));
        Assert.Equal(2, Directory.GetDirectories(StateDir(env)).Length);
    }
}
