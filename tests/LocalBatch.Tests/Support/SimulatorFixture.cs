using LocalBatch.Testing;

namespace LocalBatch.Tests.Support;

/// <summary>Helpers for tests on the simulated gateway: options with fast retries, fault selectors.</summary>
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

    /// <summary>
    /// A fault selector that refuses, with 400 <c>Input content cannot be empty</c> (what llama-server answers for an
    /// input that tokenizes to nothing), every embeddings call one of whose inputs holds <paramref name="marker"/>.
    /// </summary>
    public static Func<SimulatedRequest, SimulatedFault?> RefuseInputsContaining(string marker) =>
        request => request.Path == "/v1/embeddings" && request.Body?["input"]?.ToJsonString().Contains(marker, StringComparison.Ordinal) == true
            ? new SimulatedFault(SimulatedFaultKind.BadRequest) { Message = "Input content cannot be empty" }
            : null;
}
