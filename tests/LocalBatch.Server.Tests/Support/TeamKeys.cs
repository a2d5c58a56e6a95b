using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalBatch.Server.Tests.Support;

/// <summary>
/// A keys file of a team made with <see cref="ApiKeysFile.AddKeyAsync"/>: <c>ana</c> and <c>bob</c>, and the admin
/// <c>ops</c>; plain HTTP clients on a server, one a key.
/// </summary>
internal sealed class TeamKeys : IDisposable
{
    private readonly List<HttpClient> _clients = [];

    private TeamKeys(string path) => Path = path;

    public string Path { get; }

    public string Ana { get; private set; } = null!;

    public string Bob { get; private set; } = null!;

    public string Ops { get; private set; } = null!;

    public static async Task<TeamKeys> CreateAsync()
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "localbatch-tests", "keys-" + Guid.NewGuid().ToString("N"));
        var keys = new TeamKeys(System.IO.Path.Combine(directory, "keys.json"));
        keys.Ana = await ApiKeysFile.AddKeyAsync(keys.Path, "ana");
        keys.Bob = await ApiKeysFile.AddKeyAsync(keys.Path, "bob");
        keys.Ops = await ApiKeysFile.AddKeyAsync(keys.Path, "ops", admin: true);
        return keys;
    }

    /// <summary>A client on the server sending <paramref name="key"/> as a bearer token.</summary>
    public HttpClient Client(ServerTestEnvironment env, string key) => Client(env.Server, key);

    /// <summary>A client on the server sending <paramref name="key"/> as a bearer token.</summary>
    public HttpClient Client(LocalBatchServer server, string key)
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(client);
        return client;
    }

    /// <summary>Changes the file as an operator would, in place: <paramref name="change"/> edits its JSON.</summary>
    public void Edit(Action<JsonArray> change)
    {
        var document = JsonNode.Parse(File.ReadAllText(Path))!;
        change(document["keys"]!.AsArray());
        File.WriteAllText(Path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Sets a field of one key's entry.</summary>
    public void Set(string name, string field, JsonNode value) =>
        Edit(keys => keys.Single(key => (string?)key!["name"] == name)![field] = value);

    public static async Task<string> UploadAsync(HttpClient client, string content)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", "requests.jsonl" },
        };
        var response = await client.PostAsync("/v1/files", form);
        var json = await ServerTestEnvironment.JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"upload: {(int)response.StatusCode} {json}");
        return json.GetProperty("id").GetString()!;
    }

    public static async Task<HttpResponseMessage> CreateBatchAsync(HttpClient client, string fileId) =>
        await client.PostAsync("/v1/batches", new StringContent(
            JsonSerializer.Serialize(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), Encoding.UTF8, "application/json"));

    public static async Task<string> StartBatchAsync(HttpClient client, string content)
    {
        var response = await CreateBatchAsync(client, await UploadAsync(client, content));
        var json = await ServerTestEnvironment.JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"create: {(int)response.StatusCode} {json}");
        return json.GetProperty("id").GetString()!;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);
    }
}
