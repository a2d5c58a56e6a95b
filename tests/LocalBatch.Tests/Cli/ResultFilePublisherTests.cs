using System.Diagnostics;
using LocalBatch.Cli;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

public sealed class ResultFilePublisherTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("localbatch-publish-");

    public void Dispose() => _root.Delete(recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Publish_WritesAFileOfTheUsersOwn_EmptyingOrAppendingToItLeavesTheStoreIntact(bool allowClone)
    {
        var store = Path.Combine(_root.FullName, "store", "output.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(store)!);
        File.WriteAllText(store, "line 1\nline 2\n");
        var destination = Path.Combine(_root.FullName, "out", "jobs.output.jsonl");

        ResultFilePublisher.Publish(store, destination, new PublishOptions { AllowClone = allowClone }, CancellationToken.None);

        Assert.Equal("line 1\nline 2\n", File.ReadAllText(destination));
        Assert.Equal("1", LinkCount(destination));
        Assert.Equal("1", LinkCount(store));
        File.WriteAllText(destination, string.Empty); // `: > out.jsonl`, or an editor saving in place
        Assert.Equal("line 1\nline 2\n", File.ReadAllText(store));
        File.AppendAllText(destination, "mine\n"); // a script appending
        Assert.Equal("line 1\nline 2\n", File.ReadAllText(store));
        File.AppendAllText(store, "line 3\n"); // a resumed run appending to the store's file
        Assert.Equal("mine\n", File.ReadAllText(destination));
    }

    [Fact]
    public void Publish_OnLinux_TheFileSystemCopiesOrClones_WholeLinesOnly()
    {
        Assert.True(OperatingSystem.IsLinux(), "FICLONE and copy_file_range are Linux's (these tests run there, as their stat and ln do).");
        var store = Path.Combine(_root.FullName, "output.jsonl");
        var lines = string.Concat(Enumerable.Range(0, 50_000).Select(i => $"{{\"custom_id\":\"req-{i}\"}}\n"));
        File.WriteAllText(store, lines + "{\"custom_id\":\"torn");
        var destination = Path.Combine(_root.FullName, "jobs.output.jsonl");
        var chunks = 0;

        var method = ResultFilePublisher.Publish(store, destination, new PublishOptions { BeforeChunk = _ => chunks++ }, CancellationToken.None);

        Assert.Contains(method, new[] { PublishMethod.Clone, PublishMethod.KernelCopy });
        Assert.Equal(method == PublishMethod.KernelCopy ? 1 : 0, chunks);
        Assert.Equal(lines, File.ReadAllText(destination));
        Assert.Equal("1", LinkCount(destination));
    }

    [Fact]
    public void Publish_DestinationHardLinkedToTheStoreByAnEarlierRelease_BecomesASeparateFile()
    {
        var store = Path.Combine(_root.FullName, "output.jsonl");
        File.WriteAllText(store, "line 1\n");
        var destination = Path.Combine(_root.FullName, "jobs.output.jsonl");
        using (var link = Process.Start("ln", [store, destination]))
        {
            link.WaitForExit();
        }

        Assert.Equal("2", LinkCount(store));

        ResultFilePublisher.Publish(store, destination, PublishOptions.Default, CancellationToken.None);
        File.WriteAllText(destination, string.Empty);

        Assert.Equal("1", LinkCount(store));
        Assert.Equal("line 1\n", File.ReadAllText(store));
    }

    [Fact]
    public void Publish_Again_ReplacesTheDestinationWithoutTouchingTheStoreOrLeavingATemporaryFile()
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
        Assert.False(File.Exists(destination + ".partial"));
    }

    [Fact]
    public void Publish_NoStoreFileYet_WritesAnEmptyDestination()
    {
        var destination = Path.Combine(_root.FullName, "errors.jsonl");
        File.WriteAllText(destination, "stale\n");

        var method = ResultFilePublisher.Publish(Path.Combine(_root.FullName, "missing.jsonl"), destination, PublishOptions.Default, CancellationToken.None);

        Assert.Equal(PublishMethod.None, method);
        Assert.Equal(string.Empty, File.ReadAllText(destination));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Publish_CopyInterrupted_RemovesItsTemporaryFileAndKeepsTheDestination(bool allowClone)
    {
        var store = Path.Combine(_root.FullName, "output.jsonl");
        File.WriteAllText(store, string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{{\"custom_id\":\"req-{i}\"}}\n")));
        var destination = Path.Combine(_root.FullName, "jobs.output.jsonl");
        File.WriteAllText(destination, "earlier\n");
        using var interrupt = new CancellationTokenSource();
        var chunks = 0;
        var options = new PublishOptions
        {
            AllowClone = allowClone,
            BeforeChunk = _ =>
            {
                if (++chunks == (allowClone ? 1 : 2))
                {
                    interrupt.Cancel(); // Ctrl+C once the copy is under way
                }
            },
        };

        try
        {
            var method = ResultFilePublisher.Publish(store, destination, options, interrupt.Token);
            Assert.Equal(PublishMethod.Clone, method); // a clone is made at once: nothing to interrupt
            return;
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Equal("earlier\n", File.ReadAllText(destination));
        Assert.False(File.Exists(destination + ".partial"));
    }

    [Fact]
    public void Publish_ClonesNotAllowed_CopiesWholeLinesOnly()
    {
        var store = Path.Combine(_root.FullName, "output.jsonl");
        File.WriteAllText(store, "line 1\nline 2\ntorn");
        var destination = Path.Combine(_root.FullName, "jobs.output.jsonl");

        var method = ResultFilePublisher.Publish(store, destination, new PublishOptions { AllowClone = false }, CancellationToken.None);

        Assert.Equal(PublishMethod.Copy, method);
        Assert.Equal("line 1\nline 2\n", File.ReadAllText(destination));
    }

    private static void Publish(string store, string destination) =>
        ResultFilePublisher.Publish(store, destination, PublishOptions.Default, CancellationToken.None);
}
