using LocalBatch.Testing;

namespace LocalBatch.Tests.Support;

/// <summary>Helpers for tests on the simulated gateway: options with fast retries.</summary>
internal static class Simulator
{
    public static LocalBatchOptions FastOptions(SimulatedGateway gateway, Action<LocalBatchOptions>? configure = null)
    {
        var options = new LocalBatchOptions
        {
            Endpoint = gateway.Endpoint,
            MaxRetryAttempts = 5,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(10),
        };
        configure?.Invoke(options);
        return options;
    }
}
