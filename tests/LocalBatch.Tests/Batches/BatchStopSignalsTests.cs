using LocalBatch.Batches.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Batches;

public sealed class BatchStopSignalsTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("localbatch-signals-");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly List<BatchStopReason> _stopping = [];

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Request_SeveralReasons_TheFirstWinsOnce()
    {
        using var signals = Create();

        signals.Request(BatchStopReason.Cancel);
        signals.Request(BatchStopReason.Shutdown);

        Assert.Equal(BatchStopReason.Cancel, signals.Reason);
        Assert.True(signals.Token.IsCancellationRequested);
        Assert.Equal([BatchStopReason.Cancel], _stopping);
    }

    [Fact]
    public void StartWatching_WindowEnds_StopsAsExpired()
    {
        using var signals = Create();
        using var watch = signals.StartWatching(_time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds());

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(BatchStopReason.None, signals.Reason);
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(BatchStopReason.Expire, signals.Reason);
    }

    [Fact]
    public void StartWatching_WindowAlreadyOver_StopsAtOnce()
    {
        using var signals = Create();
        using var watch = signals.StartWatching(_time.GetUtcNow().AddSeconds(-1).ToUnixTimeSeconds());

        Assert.Equal(BatchStopReason.Expire, signals.Reason);
    }

    [Fact]
    public void StartWatching_MarkerLeftByAnotherProcess_CancelsWithinASecond()
    {
        using var signals = Create();
        using var watch = signals.StartWatching(expiresAt: null);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(BatchStopReason.None, signals.Reason);

        File.WriteAllText(Marker, string.Empty);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(BatchStopReason.Cancel, signals.Reason);
    }

    [Fact]
    public void ClearCancelMarker_AfterCancellation_RemovesIt()
    {
        using var signals = Create();
        File.WriteAllText(Marker, string.Empty);
        signals.CheckCancelMarker();

        signals.ClearCancelMarker();

        Assert.Equal(BatchStopReason.Cancel, signals.Reason);
        Assert.False(File.Exists(Marker));
    }

    private string Marker => Path.Combine(_root.FullName, "cancel.requested");

    private BatchStopSignals Create() => new(Marker, _time, _stopping.Add);
}
