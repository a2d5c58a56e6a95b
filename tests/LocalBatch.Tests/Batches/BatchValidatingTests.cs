using System.Text;
using LocalBatch.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>The <c>validating</c> status: visible while the input is read, and never left behind.</summary>
public sealed class BatchValidatingTests
{
    [Fact]
    public async Task ListAsync_WhileInputIsBeingRead_ShowsTheBatchValidating()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = new GatedStream(ChatLines(3));

        var creating = manager.CreateAsync(input, Chat);
        await input.FirstReadDone;
        var validating = Assert.Single((await manager.ListAsync()).Data);

        Assert.Equal(BatchStatus.Validating, validating.Status);
        Assert.Equal(Chat, validating.Endpoint);
        Assert.Null(validating.InProgressAt);
        Assert.Equal(0, env.ChatRequests);

        input.Open();
        var job = await manager.WaitAsync((await creating).Id);
        Assert.Equal(BatchStatus.Completed, job.Status);
        Assert.Equal(validating.Id, job.Id);
        Assert.Equal(3, job.RequestCounts.Completed);
    }

    [Fact]
    public async Task CreateAsync_CancelledWhileValidating_ThrowsAndLeavesTheBatchFailedWithNothingSent()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = new GatedStream(ChatLines(3));
        using var cancel = new CancellationTokenSource();

        var creating = manager.CreateAsync(input, cancellationToken: cancel.Token);
        await input.FirstReadDone;
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => creating);
        var job = Assert.Single((await manager.ListAsync()).Data);
        Assert.Equal(BatchStatus.Failed, job.Status);
        Assert.NotNull(job.FailedAt);
        Assert.Equal("validation_interrupted", Assert.Single(job.Errors!.Data).Code);
        Assert.False(manager.IsRunning(job.Id));
        Assert.Equal(0, env.ChatRequests);
        Assert.Empty(Directory.GetFiles(Path.Combine(env.StoreDirectory, job.Id), "*.tmp")); // no partial copy kept
    }

    [Fact]
    public async Task CreateAsync_TokenCancelledBeforehand_ThrowsAndCreatesNothing()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        await manager.ListAsync(); // the store exists

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => manager.CreateAsync(ToStream(ChatLines(1)), cancellationToken: new CancellationToken(canceled: true)));

        Assert.Empty(Directory.GetDirectories(env.StoreDirectory));
    }

    [Fact]
    public async Task CreateAsync_TokenCancelledOnceTheInputIsRead_StillCreatesAndRunsTheBatch()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        using var cancel = new CancellationTokenSource();
        var input = new CancelAtEndStream(Encoding.UTF8.GetBytes(ChatLines(2)), cancel);

        var job = await manager.CreateAsync(input, cancellationToken: cancel.Token);

        Assert.True(cancel.IsCancellationRequested);
        Assert.Equal(BatchStatus.Completed, (await manager.WaitAsync(job.Id)).Status);
    }

    [Fact]
    public async Task ResumeAsync_BatchLeftValidatingByAStoppedProcess_EndsItFailedWithoutSending()
    {
        await using var env = await StartAsync();
        string id;
        await using (var first = env.CreateManager())
        {
            var created = await first.WaitAsync((await first.CreateAsync(ToStream(ChatLines(2)))).Id);
            id = created.Id;
        }

        // As a process killed mid-validation leaves it: the state says validating, and the input's copy is partial.
        var directory = Path.Combine(env.StoreDirectory, id);
        var state = await BatchResumeTests.ReadStateAsync(directory);
        await BatchResumeTests.WriteStateAsync(directory, state with { Status = BatchStatus.Validating, InProgressAt = null, FinalizingAt = null, CompletedAt = null, OutputFileId = null });
        File.Move(Path.Combine(directory, "input.jsonl"), Path.Combine(directory, "input.jsonl.tmp"));
        var sentBefore = env.ChatRequests;

        await using var second = env.CreateManager();
        var resumed = await second.ResumeAsync();
        var job = await second.RetrieveAsync(id);

        Assert.Empty(resumed);
        Assert.Equal(BatchStatus.Failed, job.Status);
        Assert.Equal("validation_interrupted", Assert.Single(job.Errors!.Data).Code);
        Assert.Equal(sentBefore, env.ChatRequests);
        Assert.False(File.Exists(Path.Combine(directory, "input.jsonl.tmp"))); // the partial copy is gone
    }

    /// <summary>Gives its first line, then holds every further read until <see cref="Open"/>.</summary>
    private sealed class GatedStream(string text) : Stream
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(text);
        private int _position;
        private readonly TaskCompletionSource _firstRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _gave;

        public Task FirstReadDone => _firstRead.Task;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Open() => _open.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_gave)
            {
                _gave = true;
                _firstRead.TrySetResult();
                return Take(buffer, Array.IndexOf(_bytes, (byte)'\n') + 1);
            }

            await _open.Task.WaitAsync(cancellationToken);
            return Take(buffer, _bytes.Length - _position);
        }

        private int Take(Memory<byte> buffer, int most)
        {
            var count = Math.Min(buffer.Length, most);
            _bytes.AsSpan(_position, count).CopyTo(buffer.Span);
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A memory stream that cancels a token when a read finds its end.</summary>
    private sealed class CancelAtEndStream(byte[] bytes, CancellationTokenSource cancel) : MemoryStream(bytes)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = await base.ReadAsync(buffer, cancellationToken);
            if (count == 0)
            {
                await cancel.CancelAsync();
            }

            return count;
        }
    }
}
