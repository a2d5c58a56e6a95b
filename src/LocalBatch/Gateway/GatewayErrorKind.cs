namespace LocalBatch;

/// <summary>What kind of failure a <see cref="LocalGatewayException"/> reports.</summary>
public enum GatewayErrorKind
{
    /// <summary>The server refused the request (4xx, or llama.cpp's permanent 500s): fix the request; retrying will not help.</summary>
    Request,

    /// <summary>The server failed (5xx, 429, 408) and kept failing after every retry.</summary>
    Server,

    /// <summary>The server answered 2xx with a body that is truncated or not the expected JSON, and kept doing so after every retry.</summary>
    InvalidResponse,

    /// <summary>No answer: connection refused or reset, after every retry.</summary>
    Unreachable,

    /// <summary>An attempt took longer than <see cref="LocalBatchOptions.AttemptTimeout"/>, after every retry.</summary>
    Timeout,
}
