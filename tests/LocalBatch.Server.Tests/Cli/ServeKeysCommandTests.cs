using LocalBatch.Cli;
using LocalBatch.Server.Keys.Internal;

namespace LocalBatch.Server.Tests.Cli;

/// <summary><c>localbatch serve keys add</c>: a new key printed once, its hash written, a name given twice refused.</summary>
public sealed class ServeKeysCommandTests
{
    [Fact]
    public async Task KeysAdd_PrintsTheKeyOnceOnStdout_WritesItsHash_AndRefusesTheNameTwice()
    {
        var directory = Path.Combine(Path.GetTempPath(), "localbatch-tests", "keys-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(directory, "keys.json");
        try
        {
            var (added, key, told) = await RunAsync("serve", "keys", "add", "ana", "--keys", path);
            var (again, nothing, refused) = await RunAsync("serve", "keys", "add", "ana", "--keys", path);
            var (admin, _, _) = await RunAsync("serve", "keys", "add", "ops", "--admin", "--keys", path);
            var document = ApiKeySet.Read(path);

            Assert.Equal(ExitCodes.Success, added);
            Assert.Matches("^lb-[A-Za-z0-9_-]{43}$", key);
            Assert.Contains("shown this once", told, StringComparison.Ordinal);
            Assert.DoesNotContain(key, told, StringComparison.Ordinal);
            Assert.DoesNotContain(key, await File.ReadAllTextAsync(path), StringComparison.Ordinal);
            Assert.Equal(ExitCodes.InvalidInput, again);
            Assert.Empty(nothing);
            Assert.Contains("'ana' already", refused, StringComparison.Ordinal);
            Assert.Equal(ExitCodes.Success, admin);
            Assert.Equal([("ana", false), ("ops", true)], document.Keys.Select(entry => (entry.Name!, entry.Admin)));
            Assert.NotNull(ApiKeySet.Create(document, apiKey: null).Find(key));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await LocalBatchCli.InvokeAsync(args, stdout, stderr, isTerminal: false, CancellationToken.None);
        return (exitCode, stdout.ToString().Trim(), stderr.ToString());
    }
}
