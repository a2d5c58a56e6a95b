namespace LocalBatch.Gateway.Internal;

/// <summary>How one attempt at one server went, as far as that server's health and limit are concerned.</summary>
internal enum AttemptOutcome
{
    /// <summary>A 2xx answer: its latency feeds the latency-based limit.</summary>
    Answered,

    /// <summary>A request error (4xx, or a permanent 500): the request's fault, not the server's.</summary>
    Refused,

    /// <summary>429: too many requests; the latency-based limit falls.</summary>
    Overloaded,

    /// <summary>503: the model is loading (or the server is overloaded); the server leaves the rotation until its /health is ready.</summary>
    Loading,

    /// <summary>Another transient 5xx; three in a row take the server out of the rotation.</summary>
    ServerError,

    /// <summary>Refused or reset connection, or a body cut short: the server leaves the rotation.</summary>
    Unreachable,

    /// <summary>The attempt timed out or was cancelled: nothing is learned.</summary>
    Abandoned,
}
