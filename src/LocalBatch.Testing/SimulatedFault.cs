namespace LocalBatch.Testing;

/// <summary>
/// A failure to inject into one request of a <see cref="SimulatedGateway"/>: scripted with
/// <see cref="SimulatedGateway.EnqueueFault(SimulatedFault)"/>, returned by
/// <see cref="SimulatedGatewayOptions.FaultSelector"/>, or drawn at random
/// (<see cref="SimulatedGatewayOptions.FaultRate"/>).
/// </summary>
/// <param name="Kind">What goes wrong; see <see cref="SimulatedFaultKind"/> for the exact behaviour of each kind.</param>
public sealed record SimulatedFault(SimulatedFaultKind Kind)
{
    /// <summary>
    /// Gets the request path that a scripted fault applies to, compared exactly (ordinal) with the
    /// request's path, for example <c>/v1/completions</c>; any path, even one that is not a generation
    /// route, may be named.
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: the fault goes to the next generation request
    /// (completions, chat completions or embeddings, under any of their paths).
    /// </value>
    public string? Path { get; init; }

    /// <summary>
    /// Gets the delay announced in the <c>Retry-After</c> header of a
    /// <see cref="SimulatedFaultKind.TooManyRequests"/> answer, rounded up to whole seconds.
    /// </summary>
    /// <value>The default is <see langword="null"/>, which announces 1 second.</value>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// Gets the extra time a <see cref="SimulatedFaultKind.SlowResponse"/> request holds its slot before answering.
    /// </summary>
    /// <value>The default is <see langword="null"/>, which means 1 second.</value>
    public TimeSpan? Delay { get; init; }

    /// <summary>
    /// Gets the error message of a <see cref="SimulatedFaultKind.BadRequest"/> answer.
    /// </summary>
    /// <value>The default is <see langword="null"/>, which answers <c>Invalid request</c>.</value>
    public string? Message { get; init; }
}
