using System.Text.Json.Nodes;

namespace LocalBatch.Testing;

/// <summary>
/// A request received by a <see cref="SimulatedGateway"/>, as shown to
/// <see cref="SimulatedGatewayOptions.FaultSelector"/>.
/// </summary>
public sealed class SimulatedRequest
{
    internal SimulatedRequest(string method, string path, JsonNode? body, long sequence)
    {
        Method = method;
        Path = path;
        Body = body;
        Sequence = sequence;
    }

    /// <summary>
    /// Gets the HTTP method, for example <c>POST</c>.
    /// </summary>
    public string Method { get; }

    /// <summary>
    /// Gets the request path, for example <c>/v1/chat/completions</c>.
    /// </summary>
    public string Path { get; }

    /// <summary>
    /// Gets the parsed request body, or <see langword="null"/> when the body is empty or not valid JSON.
    /// </summary>
    public JsonNode? Body { get; }

    /// <summary>
    /// Gets the 1-based arrival number of the request among all requests the gateway received
    /// (restarting at 1 after <see cref="SimulatedGatewayCounters.Reset"/>).
    /// </summary>
    public long Sequence { get; }
}
