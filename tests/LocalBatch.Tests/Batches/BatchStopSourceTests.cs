using System.Text.Json;
using LocalBatch.Batches.Internal;
using LocalBatch.Gateway.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Batches;

public sealed class BatchStopSourceTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("localbatch-stop-");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Request_SeveralReasons_TheFirstWinsOnce()
    {
        using var stop = Create();

        var first = stop.Request(new BatchStopReason.Cancel());
        var second = stop.Request(new BatchStopReason.Shutdown());

        Assert.Equal((true, false), (first, second));
        Assert.Equal(new BatchStopReason.Cancel(), stop.Reason);
        Assert.True(stop.Token.IsCancellationRequested);
    }

    [Fact]
    public void StartWatching_WindowEnds_StopsAsExpired()
    {
        using var stop = Create();
        using var watch = stop.StartWatching(_time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds());

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(stop.Reason);
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(new BatchStopReason.Expire(), stop.Reason);
        Assert.True(stop.Token.IsCancellationRequested);
    }

    [Fact]
    public void StartWatching_WindowAlreadyOver_StopsAtOnce()
    {
        using var stop = Create();
        using var watch = stop.StartWatching(_time.GetUtcNow().AddSeconds(-1).ToUnixTimeSeconds());

        Assert.Equal(new BatchStopReason.Expire(), stop.Reason);
    }

    [Fact]
    public void StartWatching_MarkerLeftByAnotherProcess_CancelsWithinASecond()
    {
        using var stop = Create();
        using var watch = stop.StartWatching(expiresAt: null);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(stop.Reason);

        File.WriteAllText(Marker, string.Empty);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(new BatchStopReason.Cancel(), stop.Reason);
    }

    [Fact]
    public void CheckCancelMarker_AfterAnotherReason_LeavesTheFirst()
    {
        using var stop = Create();
        File.WriteAllText(Marker, string.Empty);
        stop.Request(new BatchStopReason.Shutdown());

        Assert.False(stop.CheckCancelMarker());
        Assert.Equal(new BatchStopReason.Shutdown(), stop.Reason);
    }

    [Fact]
    public void ClearCancelMarker_AfterCancellation_RemovesIt()
    {
        using var stop = Create();
        File.WriteAllText(Marker, string.Empty);
        Assert.True(stop.CheckCancelMarker());

        stop.ClearCancelMarker();

        Assert.Equal(new BatchStopReason.Cancel(), stop.Reason);
        Assert.False(File.Exists(Marker));
    }

    [Theory]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    public async Task SendAsync_AnswerRefusesTheKey_StopsTheRunWithTheRefusal(int status, string type)
    {
        using var stop = Create();

        var answer = await stop.SendAsync(_ => Task.FromResult(Sent(Answer(status, type))), stop.Token);

        Assert.Equal(status, answer.Value!.StatusCode); // the answer itself goes back as it came
        var refused = Assert.IsType<BatchStopReason.KeyRefused>(stop.Reason);
        Assert.Equal((GatewayErrorKind.Request, status, type, "refused"), (refused.Refusal.Kind, refused.Refusal.StatusCode, refused.Refusal.Type, refused.Refusal.Message));
        Assert.True(stop.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task SendAsync_CoalescedAnswersWithARefusal_StopsTheRun()
    {
        using var stop = Create();

        await stop.SendAsync(_ => Task.FromResult(Sent(new[] { Answer(200, null), Answer(401, "authentication_error") })), stop.Token);

        Assert.Equal(401, Assert.IsType<BatchStopReason.KeyRefused>(stop.Reason).Refusal.StatusCode);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(400)]
    [InlineData(500)]
    public async Task SendAsync_AnswerNotARefusal_GoesOn(int status)
    {
        using var stop = Create();

        await stop.SendAsync(_ => Task.FromResult(Sent(Answer(status, null))), stop.Token);

        Assert.Null(stop.Reason);
        Assert.False(stop.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task SendAsync_RefusedAfterTheRunWasCancelled_TheCancellationStands()
    {
        using var stop = Create();
        var answer = new TaskCompletionSource<Sent<GatewayResponse>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = stop.SendAsync(_ => answer.Task, CancellationToken.None); // under way when the run is cancelled

        stop.Request(new BatchStopReason.Cancel());
        answer.SetResult(Sent(Answer(401, "authentication_error")));
        await sending;

        Assert.Equal(new BatchStopReason.Cancel(), stop.Reason);
    }

    [Fact]
    public async Task SendAsync_AfterTheRunStopped_StartsNoRequest()
    {
        using var stop = Create();
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(stop.Token); // as the run's stream links it
        stop.Request(new BatchStopReason.KeyRefused(new BatchItemError(GatewayErrorKind.Request, 401, "authentication_error", "refused")));
        var sent = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stop.SendAsync(
            _ =>
            {
                sent++;
                return Task.FromResult(Sent(Answer(200, null)));
            },
            stream.Token));

        Assert.Equal(0, sent);
    }

    private static Sent<T> Sent<T>(T value) => new(value, null, null, 1);

    private string Marker => Path.Combine(_root.FullName, "cancel.requested");

    private static GatewayResponse Answer(int status, string? type) =>
        new(status, JsonSerializer.Deserialize<JsonElement>($$$"""{"error":{"code":{{{status}}},"message":"refused","type":"{{{type}}}"}}"""), null);

    private BatchStopSource Create() => new(Marker, _time);
}
