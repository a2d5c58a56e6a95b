namespace LocalBatch;

/// <summary>What <c>/health</c> said: ready (200) or not yet (503 while the model loads).</summary>
/// <param name="StatusCode">The HTTP status of the answer.</param>
/// <param name="Status">The <c>status</c> field (<c>ok</c>) or, when not ready, the error message (<c>Loading model</c>).</param>
public sealed record GatewayHealth(int StatusCode, string? Status)
{
    /// <summary>Gets a value indicating whether the server is ready to answer requests.</summary>
    public bool IsReady => StatusCode == 200;
}
