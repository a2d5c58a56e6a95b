using System.Text.Json;
using LocalBatch.Server.Tests.MessageBatches;
using LocalBatch.Server.Tests.Support;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Keys;

/// <summary>Keys of a team: each sees only what it owns (another's id is a missing one), admins see all.</summary>
public sealed class OwnershipTests
{
    private const string MissingFile = "file-000000000000000000000000000000ff";
    private const string MissingBatch = "batch_00000000000000000000000000ff";

    [Fact]
    public async Task EveryRoute_AnotherKeysId_Answers404ExactlyAsAMissingId()
    {
        using var keys = await TeamKeys.CreateAsync();
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path);
        var ana = keys.Client(env, keys.Ana);
        var bob = keys.Client(env, keys.Bob);
        var file = await TeamKeys.UploadAsync(ana, ChatLines(3));
        var batch = (await env.WaitAsync(await TeamKeys.StartBatchAsync(ana, ChatLines(2)))).Id;
        var output = (await env.Batches.RetrieveAsync(batch)).OutputFileId!;
        var message = (await CreateMessageBatchAsync(ana)).GetProperty("id").GetString()!;
        await env.WaitAsync(MessageBatchRequests.StoreId(message));
        var missingOutput = "file-" + MissingBatch["batch_".Length..] + "-output";
        var missingMessage = "msgbatch_" + MissingBatch["batch_".Length..];

        (HttpMethod Method, string Path, string Id, string Missing)[] routes =
        [
            (HttpMethod.Get, "/v1/files/{0}", file, MissingFile),
            (HttpMethod.Get, "/v1/files/{0}/content", file, MissingFile),
            (HttpMethod.Delete, "/v1/files/{0}", file, MissingFile),
            (HttpMethod.Get, "/v1/files/{0}", output, missingOutput),
            (HttpMethod.Get, "/v1/files/{0}/content", output, missingOutput),
            (HttpMethod.Delete, "/v1/files/{0}", output, missingOutput),
            (HttpMethod.Get, "/v1/batches/{0}", batch, MissingBatch),
            (HttpMethod.Post, "/v1/batches/{0}/cancel", batch, MissingBatch),
            (HttpMethod.Get, "/v1/batches/{0}/results", batch, MissingBatch),
            (HttpMethod.Get, "/v1/messages/batches/{0}", message, missingMessage),
            (HttpMethod.Post, "/v1/messages/batches/{0}/cancel", message, missingMessage),
            (HttpMethod.Delete, "/v1/messages/batches/{0}", message, missingMessage),
            (HttpMethod.Get, "/v1/messages/batches/{0}/results", message, missingMessage),
        ];
        foreach (var (method, path, id, missing) in routes)
        {
            var others = await AnswerAsync(bob, method, string.Format(path, id), id);
            var absent = await AnswerAsync(bob, method, string.Format(path, missing), missing);
            Assert.True(others.Status == 404, $"{method} {path}: {others.Status} {others.Body}");
            Assert.Equal(absent, others);
        }

        var create = await AnswerAsync(bob, HttpMethod.Post, "/v1/batches", file, JsonSerializer.Serialize(new { input_file_id = file, endpoint = Chat, completion_window = "24h" }));
        var createMissing = await AnswerAsync(bob, HttpMethod.Post, "/v1/batches", MissingFile, JsonSerializer.Serialize(new { input_file_id = MissingFile, endpoint = Chat, completion_window = "24h" }));
        Assert.Equal(404, create.Status);
        Assert.Equal(createMissing, create);

        // Nothing of ana's was touched, and she still reaches all of it.
        Assert.Equal(200, (int)(await ana.GetAsync($"/v1/files/{file}")).StatusCode);
        Assert.Equal(200, (int)(await ana.GetAsync($"/v1/files/{output}/content")).StatusCode);
        Assert.Equal(200, (int)(await ana.GetAsync($"/v1/messages/batches/{message}")).StatusCode);
        Assert.Equal(2, (await env.Batches.ListAllAsync().CountAsync()));
    }

    [Fact]
    public async Task Lists_ShowEachKeyItsOwnAndAdminsAll_TheOwnerOnlyToAdmins()
    {
        using var keys = await TeamKeys.CreateAsync();
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path);
        var ana = keys.Client(env, keys.Ana);
        var bob = keys.Client(env, keys.Bob);
        var ops = keys.Client(env, keys.Ops);
        var anaBatch = await env.WaitAsync(await TeamKeys.StartBatchAsync(ana, ChatLines(2)));
        var bobBatch = await env.WaitAsync(await TeamKeys.StartBatchAsync(bob, ChatLines(2)));
        var anaMessage = (await CreateMessageBatchAsync(ana)).GetProperty("id").GetString()!;
        await env.WaitAsync(MessageBatchRequests.StoreId(anaMessage));

        var anaBatches = await DataAsync(ana, "/v1/batches");
        var anaFiles = await DataAsync(ana, "/v1/files");
        var bobFiles = await DataAsync(bob, "/v1/files");
        var opsBatches = await DataAsync(ops, "/v1/batches");
        var opsFiles = await DataAsync(ops, "/v1/files");

        Assert.Equal([MessageBatchRequests.StoreId(anaMessage), anaBatch.Id], anaBatches.Select(b => b.GetProperty("id").GetString()));
        Assert.All(anaBatches.Concat(anaFiles).Concat(bobFiles), item => Assert.False(item.TryGetProperty("owner", out _)));
        Assert.Equal(3, anaFiles.Count); // her upload and her batch's output file, and the message batch's output
        Assert.Equal(new[] { bobBatch.InputFileId, bobBatch.OutputFileId }.Order(StringComparer.Ordinal), bobFiles.Select(f => f.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(3, opsBatches.Count);
        Assert.Equal(["ana", "ana", "bob"], opsBatches.Select(b => b.GetProperty("owner").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(5, opsFiles.Count);
        Assert.All(opsFiles, file => Assert.Contains(file.GetProperty("owner").GetString(), new[] { "ana", "bob" }));
        Assert.Empty(await DataAsync(bob, "/v1/messages/batches"));
        Assert.Equal("ana", (await DataAsync(ops, "/v1/messages/batches")).Single().GetProperty("owner").GetString());
        Assert.Equal("ana", (await JsonAsync(await ops.GetAsync($"/v1/batches/{anaBatch.Id}"))).GetProperty("owner").GetString());
        Assert.False((await JsonAsync(await ana.GetAsync($"/v1/batches/{anaBatch.Id}"))).TryGetProperty("owner", out _));
    }

    [Fact]
    public async Task AdminKey_ActsOnAnotherKeysBatchAndFile()
    {
        using var keys = await TeamKeys.CreateAsync();
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path, concurrency: 1);
        var ana = keys.Client(env, keys.Ana);
        var ops = keys.Client(env, keys.Ops);
        env.Env.PauseAtChatRequest(1);
        var batch = await TeamKeys.StartBatchAsync(ana, ChatLines(3));
        await env.Env.WaitForPauseAsync();

        var cancel = await ops.PostAsync($"/v1/batches/{batch}/cancel", content: null);
        env.Gateway.Resume();
        var job = await env.WaitAsync(batch);
        var delete = await ops.DeleteAsync($"/v1/files/{job.InputFileId}");

        Assert.Equal(200, (int)cancel.StatusCode);
        Assert.Equal(LocalBatch.Batches.BatchStatus.Cancelled, job.Status);
        Assert.Equal("ana", job.Owner);
        Assert.Equal(200, (int)delete.StatusCode);
        Assert.Equal(404, (int)(await ana.GetAsync($"/v1/files/{job.InputFileId}")).StatusCode);
    }

    private static async Task<JsonElement> CreateMessageBatchAsync(HttpClient client)
    {
        var response = await client.PostAsync("/v1/messages/batches", MessageBatchRequests.Json(MessageBatchRequests.CreateBody(2)));
        var json = await JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"create: {(int)response.StatusCode} {json}");
        return json;
    }

    private static async Task<List<JsonElement>> DataAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var json = await JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {json}");
        return [.. json.GetProperty("data").EnumerateArray()];
    }

    /// <summary>The status and body of an answer, the id it names replaced by <c>ID</c>.</summary>
    private static async Task<(int Status, string Body)> AnswerAsync(HttpClient client, HttpMethod method, string path, string id, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = MessageBatchRequests.Json(json);
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, (await response.Content.ReadAsStringAsync()).Replace(id, "ID", StringComparison.Ordinal));
    }
}
