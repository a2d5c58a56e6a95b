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

    /// <summary>Listens to one <c>long</c> instrument of this factory's meters, handing each measurement on; dispose to stop.</summary>
    public MeterListener Listen(string instrumentName, Action<long> measured)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (Owns(instrument.Meter) && instrument.Name == instrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => measured(value));
        listener.Start();
        return listener;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
