using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Server.Keys.Internal;
using LocalBatch.Server.Tests.MessageBatches;
using LocalBatch.Server.Tests.Support;
using Microsoft.Extensions.Options;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Keys;

/// <summary>The keys file: written with hashes only, read again when it changes, its per-key limits.</summary>
public sealed class KeysFileTests
{
    [Fact]
    public async Task AddKeyAsync_NewFile_WritesTheHashOnlyAndRefusesTheSameNameTwice()
    {
        using var keys = await TeamKeys.CreateAsync();
        var text = await File.ReadAllTextAsync(keys.Path);
        var entries = JsonDocument.Parse(text).RootElement.GetProperty("keys").EnumerateArray().ToList();

        Assert.Equal(["ana", "bob", "ops"], entries.Select(e => e.GetProperty("name").GetString()));
        Assert.Equal([false, false, true], entries.Select(e => e.TryGetProperty("admin", out var admin) && admin.GetBoolean()));
        Assert.Equal(Convert.ToHexStringLower(ApiKeySet.Hash(keys.Ana)), entries[0].GetProperty("key_sha256").GetString());
        Assert.DoesNotContain(keys.Ana, text, StringComparison.Ordinal);
        Assert.StartsWith("lb-", keys.Ana, StringComparison.Ordinal);
        Assert.NotEqual(keys.Ana, keys.Bob);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keys.Path));
        }

        var duplicate = await Assert.ThrowsAsync<InvalidOperationException>(() => ApiKeysFile.AddKeyAsync(keys.Path, "ana"));
        Assert.Contains("'ana' already", duplicate.Message, StringComparison.Ordinal);
        Assert.Equal(text, await File.ReadAllTextAsync(keys.Path));
        await Assert.ThrowsAsync<ArgumentException>(() => ApiKeysFile.AddKeyAsync(keys.Path, " "));
    }

    [Fact]
    public async Task KeysFile_Changed_CountsFromTheNextRequest_AndARemovedKeysBatchRunsOn()
    {
        using var keys = await TeamKeys.CreateAsync();
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path, concurrency: 1);
        var ana = keys.Client(env, keys.Ana);
        var bob = keys.Client(env, keys.Bob);
        env.Env.PauseAtChatRequest(2);
        var batch = await TeamKeys.StartBatchAsync(ana, ChatLines(5));
        await env.Env.WaitForPauseAsync();

        keys.Edit(entries => entries.RemoveAt(0)); // ana's key is gone
        var refused = await ana.GetAsync($"/v1/batches/{batch}");
        var added = await ApiKeysFile.AddKeyAsync(keys.Path, "cy");
        var cy = keys.Client(env, added);
        var cyList = await cy.GetAsync("/v1/batches");
        env.Gateway.Resume();
        var job = await env.WaitAsync(batch);

        await ErrorAsync(refused, 401);
        Assert.Equal(200, (int)cyList.StatusCode);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(5, job.RequestCounts.Completed);
        Assert.Equal("ana", job.Owner);
        Assert.Equal(200, (int)(await bob.GetAsync("/v1/files")).StatusCode);
        Assert.DoesNotContain(env.Logs.Lines, line => line.Contains(keys.Ana, StringComparison.Ordinal) || line.Contains(added, StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeysFile_DamagedWhileServing_KeepsTheKeysLoadedBefore()
    {
        using var keys = await TeamKeys.CreateAsync();
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path);
        var ana = keys.Client(env, keys.Ana);

        var whole = await File.ReadAllTextAsync(keys.Path);
        await File.WriteAllTextAsync(keys.Path, "{\"keys\": [{\"name\": \"ana\""); // caught half written
        var during = await ana.GetAsync("/v1/files");
        await File.WriteAllTextAsync(keys.Path, whole);
        keys.Edit(entries => entries.RemoveAt(0)); // written whole again, without ana
        var after = await ana.GetAsync("/v1/files");

        Assert.Equal(200, (int)during.StatusCode);
        Assert.Contains(env.Logs.Lines, line => line.Contains("cannot be read", StringComparison.Ordinal));
        await ErrorAsync(after, 401);
    }

    [Fact]
    public async Task ServerStart_KeysFileMissingOrDamaged_FailsWithTheProblem()
    {
        var directory = Path.Combine(Path.GetTempPath(), "localbatch-tests", "keys-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var missing = Path.Combine(directory, "none.json");
            var damaged = Path.Combine(directory, "damaged.json");
            await File.WriteAllTextAsync(damaged, "{\"keys\": [{\"name\": \"ana\", \"key_sha256\": \"abc\"}]}");

            var noFile = await Assert.ThrowsAsync<OptionsValidationException>(() => ServeAsync(options => options.KeysFile = missing));
            var badFile = await Assert.ThrowsAsync<OptionsValidationException>(() => ServeAsync(options => options.KeysFile = damaged));

            Assert.Contains("keys add", noFile.Message, StringComparison.Ordinal);
            Assert.Contains("keys[0].key_sha256", badFile.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task MaxRunningBatches_Reached_Is429InEachApisShape()
    {
        using var keys = await TeamKeys.CreateAsync();
        keys.Set("ana", "max_running_batches", 1);
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path, concurrency: 1);
        var ana = keys.Client(env, keys.Ana);
        var bob = keys.Client(env, keys.Bob);
        env.Env.PauseAtChatRequest(1);
        var running = await TeamKeys.StartBatchAsync(ana, ChatLines(2));
        await env.Env.WaitForPauseAsync();

        var second = await TeamKeys.CreateBatchAsync(ana, await TeamKeys.UploadAsync(ana, ChatLines(1)));
        var message = await ana.PostAsync("/v1/messages/batches", MessageBatchRequests.Json(MessageBatchRequests.CreateBody(1)));
        var bobs = await TeamKeys.CreateBatchAsync(bob, await TeamKeys.UploadAsync(bob, ChatLines(1)));
        var openAi = await ErrorAsync(second, 429);
        var anthropic = await JsonAsync(message);
        env.Gateway.Resume();
        await env.WaitAsync(running);
        var afterwards = await TeamKeys.CreateBatchAsync(ana, await TeamKeys.UploadAsync(ana, ChatLines(1)));

        Assert.Equal("rate_limit_exceeded", openAi.GetProperty("code").GetString());
        Assert.Equal(429, (int)message.StatusCode);
        Assert.Equal("rate_limit_error", anthropic.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(200, (int)bobs.StatusCode);
        Assert.Equal(200, (int)afterwards.StatusCode);
    }

    [Fact]
    public async Task MaxStoredBytes_Passed_Is400AndTheFileIsNotKept()
    {
        using var keys = await TeamKeys.CreateAsync();
        var line = ChatLines(1);
        keys.Set("ana", "max_stored_bytes", (line.Length * 2) + 1);
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path);
        var ana = keys.Client(env, keys.Ana);
        await TeamKeys.UploadAsync(ana, line);
        await TeamKeys.UploadAsync(ana, line);

        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" }, { new StringContent(line), "file", "third.jsonl" } };
        var third = await ErrorAsync(await ana.PostAsync("/v1/files", form), 400);

        Assert.Equal("storage_limit_exceeded", third.GetProperty("code").GetString());
        Assert.Equal(2, (await JsonAsync(await ana.GetAsync("/v1/files"))).GetProperty("data").GetArrayLength());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(env.Env.StoreDirectory, "files"), "*.tmp"));
        await TeamKeys.UploadAsync(keys.Client(env, keys.Bob), line); // another key's room is its own
    }
}
