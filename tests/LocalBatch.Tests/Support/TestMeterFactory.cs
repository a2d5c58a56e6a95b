using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace LocalBatch.Tests.Support;

/// <summary>An <see cref="IMeterFactory"/> whose meters a listener can tell apart from other tests' meters.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly ConcurrentBag<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public bool Owns(Meter meter) => _meters.Contains(meter);

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
