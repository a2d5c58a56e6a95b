namespace LocalBatch.Gateway.Internal;

/// <summary>Where the pool reads a server's load, to see the requests of clients it does not know of.</summary>
internal enum LoadSource
{
    /// <summary>Not asked yet: <c>/slots</c> is tried first.</summary>
    Unknown,

    /// <summary>llama-server's <c>GET /slots</c> (on by default): <c>is_processing</c> and <c>id_task</c> per slot.</summary>
    Slots,

    /// <summary>llama-server's <c>GET /metrics</c> (with <c>--metrics</c>): <c>requests_processing</c> and <c>requests_deferred</c>.</summary>
    Metrics,

    /// <summary>Neither answers (a gateway, <c>--no-slots</c> without <c>--metrics</c>): only the load this client knows of counts.</summary>
    None,
}
