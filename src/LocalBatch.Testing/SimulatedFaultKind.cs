namespace LocalBatch.Testing;

/// <summary>
/// The kinds of failure that <see cref="SimulatedGateway"/> can inject into a request.
/// </summary>
public enum SimulatedFaultKind
{
    /// <summary>
    /// 503 with <c>{"error":{"message":"Loading model","type":"unavailable_error","code":503}}</c>,
    /// the answer of a llama-server that is still loading its model. Answered at once, without a slot.
    /// </summary>
    ServiceUnavailable,

    /// <summary>
    /// 429 with a <c>Retry-After</c> header in whole seconds (<see cref="SimulatedFault.RetryAfter"/>,
    /// rounded up; 1 second when unset) and
    /// <c>{"error":{"code":429,"message":"Too many requests","type":"rate_limit_error"}}</c>,
    /// as a rate-limiting proxy in front of the server would answer. Answered at once, without a slot.
    /// </summary>
    TooManyRequests,

    /// <summary>
    /// 500 with <c>{"error":{"code":500,"message":"Internal server error","type":"server_error"}}</c>.
    /// Answered at once, without a slot.
    /// </summary>
    InternalServerError,

    /// <summary>
    /// The connection is aborted after the request body has been read, without any response;
    /// the client sees the connection closed.
    /// </summary>
    ConnectionReset,

    /// <summary>
    /// The request is processed normally (slot, latency, pause), then the first half of the normal body
    /// is sent with the normal status and content type, and a <c>Content-Length</c> that matches the
    /// bytes sent, so the HTTP connection stays usable but the body is not valid JSON
    /// (for a streamed request: the event stream is cut in half and has no <c>data: [DONE]</c>).
    /// Such a request is not counted in <see cref="SimulatedGatewayCounters.SucceededRequests"/>. A request
    /// that fails validation gets its error answer whole.
    /// </summary>
    TruncatedBody,

    /// <summary>
    /// The normal answer, after an extra <see cref="SimulatedFault.Delay"/> (1 second when unset)
    /// spent holding the request's slot, as if generation were slow. A request that fails validation gets its
    /// error answer at once.
    /// </summary>
    SlowResponse,

    /// <summary>
    /// 400 with <c>{"error":{"code":400,"message":…,"type":"invalid_request_error"}}</c>, the message being
    /// <see cref="SimulatedFault.Message"/> or <c>Invalid request</c>. Answered at once, without a slot.
    /// </summary>
    BadRequest,
}
