using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Files;

/// <summary>Partial uploads left by a process that stopped mid-upload are removed at start-up; a live one's are not.</summary>
public sealed class PartialUploadTests
{
    [Fact]
    public async Task Start_PartialUploadsLeftBehind_RemovesThemButNotOnesALiveProcessHolds()
    {
        await using var env = await ServeAsync();
        var files = Path.Combine(env.Env.StoreDirectory, "files");
        await env.StopServerAsync();
        var left = Path.Combine(files, "upload-0123456789abcdef0123456789abcdef.tmp");
        var leftObject = Path.Combine(files, "file-0000000000000000aaaaaaaaaaaaaaaa.json.tmp");
        var held = Path.Combine(files, "upload-fedcba9876543210fedcba9876543210.tmp");
        await File.WriteAllTextAsync(left, "{\"custom_id\": \"req-1\", \"method\": \"PO"); // written just now: age says nothing
        await File.WriteAllTextAsync(leftObject, "{\"id\":");

        // Another server on the same store, uploading: it holds its temporary file as FileStore does.
        await using (var writing = new FileStream(held, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            await env.StartServerAsync();

            Assert.False(File.Exists(left));
            Assert.False(File.Exists(leftObject));
            Assert.True(File.Exists(held));
            Assert.Contains(env.Logs.Lines, line => line.Contains(left, StringComparison.Ordinal));
        }

        Assert.Empty((await JsonAsync(await env.Http.GetAsync("/v1/files"))).GetProperty("data").EnumerateArray());
    }
}
