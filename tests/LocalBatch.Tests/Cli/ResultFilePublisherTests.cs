using System.Diagnostics;
using LocalBatch.Cli;

namespace LocalBatch.Tests.Cli;

public sealed class ResultFilePublisherTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("localbatch-publish-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Publish_SameDisk_LinksTheStoresFileInsteadOfWritingItAgain()
    {
        var store = Path.Combine(_root.FullName, "store", "output.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(store)!);
        File.WriteAllText(store, "line 1\n");
        var destination = Path.Combine(_root.FullName, "out", "jobs.output.jsonl");

        Publish(store, destination);
        File.AppendAllText(store, "line 2\n"); // a resumed run appends to the store's file

        Assert.Equal("line 1\nline 2\n", File.ReadAllText(destination));
        Assert.Equal("2", LinkCount(destination));
    }

    [Fact]
    public void Publish_Again_ReplacesTheDestinationWithoutTouchingTheStore()
    {
        var first = Path.Combine(_root.FullName, "first.jsonl");
        var second = Path.Combine(_root.FullName, "second.jsonl");
        File.WriteAllText(first, "first\n");
        File.WriteAllText(second, "second\n");
        var destination = Path.Combine(_root.FullName, "out.jsonl");

        Publish(first, destination);
        Publish(second, destination);

        Assert.Equal("second\n", File.ReadAllText(destination));
        Assert.Equal("first\n", File.ReadAllText(first));
    }

    [Fact]
    public void Publish_NoStoreFileYet_WritesAnEmptyDestination()
    {
        var destination = Path.Combine(_root.FullName, "errors.jsonl");
        File.WriteAllText(destination, "stale\n");

        Publish(Path.Combine(_root.FullName, "missing.jsonl"), destination);

        Assert.Equal(string.Empty, File.ReadAllText(destination));
    }

    [Fact]
    public void Publish_SameStoreFileAgain_LeavesOneLinkAndNoTemporaryFile()
    {
        var store = Path.Combine(_root.FullName, "output.jsonl");
        File.WriteAllText(store, "line 1\n");
        var destination = Path.Combine(_root.FullName, "out", "jobs.output.jsonl");

        Publish(store, destination);
        Publish(store, destination);

        Assert.Equal("2", LinkCount(destination));
        Assert.False(File.Exists(destination + ".partial"));
    }

    [Fact]
    public void Publish_CopyInterrupted_RemovesItsTemporaryFileAndKeepsTheDestination()
    {
        var store = Path.Combine(_root.FullName, "output.jsonl");
        File.WriteAllText(store, string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{{\"custom_id\":\"req-{i}\"}}\n")));
        var destination = Path.Combine(_root.FullName, "jobs.output.jsonl");
        File.WriteAllText(destination, "earlier\n");
        using var interrupt = new CancellationTokenSource();
        var chunks = 0;
        var options = new PublishOptions
        {
            AllowLinks = false,
            BeforeChunk = _ =>
            {
                if (++chunks == 2)
                {
                    interrupt.Cancel(); // Ctrl+C once the copy is under way
                }
            },
        };

        Assert.ThrowsAny<OperationCanceledException>(() => ResultFilePublisher.Publish(store, destination, options, interrupt.Token));

        Assert.Equal(2, chunks);
        Assert.Equal("earlier\n", File.ReadAllText(destination));
        Assert.False(File.Exists(destination + ".partial"));
    }

    [Fact]
    public void Publish_LinksNotAllowed_CopiesWholeLinesOnly()
    {
        var store = Path.Combine(_root.FullName, "output.jsonl");
        File.WriteAllText(store, "line 1\nline 2\ntorn");
        var destination = Path.Combine(_root.FullName, "jobs.output.jsonl");

        ResultFilePublisher.Publish(store, destination, new PublishOptions { AllowLinks = false }, CancellationToken.None);

        Assert.Equal("line 1\nline 2\n", File.ReadAllText(destination));
        Assert.Equal("1", LinkCount(destination));
    }

    private static void Publish(string store, string destination) =>
        ResultFilePublisher.Publish(store, destination, PublishOptions.Default, CancellationToken.None);

    private static string LinkCount(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true })!;
        var count = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return count;
    }
}
