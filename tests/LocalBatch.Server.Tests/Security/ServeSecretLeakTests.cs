using System.Text;
using LocalBatch.Server.Tests.Reliability;
using LocalBatch.Server.Tests.Reliability.Harness;
using LocalBatch.Server.Tests.Support;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Security;

/// <summary>
/// serve with a key for its clients and another for the gateway, through a day of good and bad requests (see
/// <see cref="ServeWorkout"/>) and then a wrong gateway key: neither key, nor a wrong one, shows in any answer (body or
/// header), any log line at any level, the tool's stdout or stderr, or any file of its store; no error answer holds a
/// stack trace.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ServeSecretLeakTests
{
    private const string ServeKey = "sk-serve-4b9e1c7a2d60";
    private const string GatewayKey = "sk-gateway-8f3a6d0e5c11";
    private const string WrongServeKey = "sk-wrong-serve-1a2b3c4d";
    private const string WrongGatewayKey = "sk-wrong-gateway-9e8d7c6b";
    private const string Refused = "refused this server's gateway key";

    [Fact]
    public async Task ServeProcess_ADayOfRequestsThenAWrongGatewayKey_NeverShowsAKey()
    {
        await using var env = await StartAsync();
        env.Gateway.Options.ApiKey = GatewayKey;
        string[] options = ["--gateway", env.Gateway.Endpoint.ToString(), "--state-dir", env.StoreDirectory, "--api-key", ServeKey];
        var texts = new List<string>();

        RecordingHandler answers;
        await using (var serve = await ServeProcess.StartAsync([.. options, "--gateway-api-key", GatewayKey]))
        {
            (_, answers) = await ServeWorkout.RunAsync(serve.BaseAddress, env.Gateway, ServeKey, WrongServeKey);
            await serve.KillAsync();
            texts.AddRange([serve.Cli.Output, serve.Cli.Error]);
        }

        await using (var serve = await ServeProcess.StartAsync([.. options, "--gateway-api-key", WrongGatewayKey]))
        {
            using var http = serve.CreateClient(ServeKey);
            await ServeApi.CreateBatchAsync(http, await ServeApi.UploadAsync(http, Encoding.UTF8.GetBytes(ChatLines(3))), Chat);
            await serve.Cli.WaitForErrorLineAsync(line => line.Contains(Refused, StringComparison.Ordinal), ServeProcess.StartTimeout);
            await serve.KillAsync();
            texts.AddRange([serve.Cli.Output, serve.Cli.Error]);
        }

        AssertTheDayHappened(answers);
        AssertNoKey([.. texts, .. answers.Answers.Select(answer => answer.Text)], env.StoreDirectory);
        AssertNoStackTrace(answers);
    }

    [Fact]
    public async Task InProcess_ADayOfRequestsThenAWrongGatewayKey_NoLogLineAtAnyLevelShowsAKey()
    {
        await using var env = await ServeAsync(o => (o.ApiKey, o.GatewayApiKey) = (ServeKey, GatewayKey), clientKey: ServeKey);
        env.Gateway.Options.ApiKey = GatewayKey;
        var (_, answers) = await ServeWorkout.RunAsync(env.Server.BaseAddress, env.Gateway, ServeKey, WrongServeKey);

        await using var refused = await ServeAsync(o => (o.ApiKey, o.GatewayApiKey) = (ServeKey, WrongGatewayKey), clientKey: ServeKey);
        refused.Gateway.Options.ApiKey = GatewayKey;
        await refused.CreateBatchAsync((await refused.UploadAsync(ChatLines(3))).Id);
        await refused.Logs.WaitForAsync(line => line.Contains(Refused, StringComparison.Ordinal));
        await refused.StopServerAsync(); // lets go of the waiting batch's run lock, to read every file

        AssertTheDayHappened(answers);
        Assert.Contains(env.Logs.Lines, line => line.StartsWith("Trace", StringComparison.Ordinal));
        AssertNoKey([.. env.Logs.Lines, .. refused.Logs.Lines, .. answers.Answers.Select(answer => answer.Text)], env.Env.StoreDirectory, refused.Env.StoreDirectory);
        AssertNoStackTrace(answers);
    }

    /// <summary>The workout got what it went for: a finished batch, proxied answers, and errors of every kind.</summary>
    private static void AssertTheDayHappened(RecordingHandler answers)
    {
        var statuses = answers.Answers.Select(answer => answer.Status).ToHashSet();
        Assert.Superset(new HashSet<int> { 200, 400, 401, 404, 409 }, statuses);
        Assert.Contains(answers.Answers, answer => answer.Text.Contains("\"status\":\"completed\"", StringComparison.Ordinal));
        Assert.Contains(answers.Answers, answer => answer.Text.Contains("text/event-stream", StringComparison.Ordinal));
        Assert.Equal(12, answers.Answers.Count(answer => answer.Status == 401)); // no key, a wrong one, Basic, no Bearer: 4 ways on 3 routes
    }

    /// <summary>No key, right or wrong, in any of the texts, nor in any file under the store directories.</summary>
    private static void AssertNoKey(IReadOnlyCollection<string> texts, params string[] stores)
    {
        var files = stores.SelectMany(store => Directory.GetFiles(store, "*", SearchOption.AllDirectories)).ToList();
        Assert.NotEmpty(files);
        foreach (var key in new[] { ServeKey, GatewayKey, WrongServeKey, WrongGatewayKey })
        {
            Assert.All(texts, text => Assert.DoesNotContain(key, text, StringComparison.Ordinal));
            Assert.All(files, file => Assert.DoesNotContain(key, Encoding.UTF8.GetString(File.ReadAllBytes(file)), StringComparison.Ordinal));
        }
    }

    private static void AssertNoStackTrace(RecordingHandler answers) =>
        Assert.All(answers.Answers.Where(answer => answer.Status >= 400), answer =>
        {
            Assert.DoesNotContain("   at ", answer.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", answer.Text, StringComparison.Ordinal);
        });
}
