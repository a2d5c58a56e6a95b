namespace LocalBatch.Gateway.Internal;

// What the pool knows of each server: only the pool can see or change it, and only through these methods.
internal sealed partial class EndpointPool
{
    /// <summary>
    /// One server's slots and health: how its limit is known, how many requests it takes and has, whether it is in the
    /// rotation. Guarded by the pool's lock; each method keeps one of the pool's rules.
    /// </summary>
    private sealed class ServerState(ServerEndpoint endpoint)
    {
        private const int ServerErrorsBeforeDown = 3;

        private int _serverErrorsInARow;

        public ServerEndpoint Endpoint { get; } = endpoint;

        /// <summary>Gets how the limit is known; <see cref="CapacitySource.Unknown"/> until its look-up ends.</summary>
        public CapacitySource Source { get; private set; } = CapacitySource.Unknown;

        /// <summary>Gets a value indicating whether its <c>/props</c> did not answer and is to be asked again.</summary>
        public bool PropsPending { get; private set; }

        /// <summary>Gets the requests it takes at once now (0 while its limit is unknown: it takes none).</summary>
        public int Limit { get; private set; }

        /// <summary>Gets the most <see cref="Limit"/> may become: the batch bound counts on it.</summary>
        public int Ceiling { get; private set; }

        /// <summary>Gets the requests sent to it and not yet answered.</summary>
        public int InUse { get; private set; }

        /// <summary>Gets a value indicating whether it is in the rotation.</summary>
        public bool IsUp { get; private set; } = true;

        /// <summary>Gets why it left the rotation, and when: meaningful only while it is out.</summary>
        public (AttemptOutcome Reason, DateTimeOffset Since) Down { get; private set; }

        /// <summary>Gets a value indicating whether its limit is known, so that it may take requests.</summary>
        public bool IsKnown => Source != CapacitySource.Unknown;

        /// <summary>Gets a value indicating whether it has a free slot.</summary>
        public bool HasRoom => InUse < Limit;

        /// <summary>Gets or sets the look-up of its limit, while one runs or after it ended.</summary>
        public Task? LookUp { get; set; }

        /// <summary>Gets or sets the health probe running while it is out of the rotation.</summary>
        public Task? Probe { get; set; }

        private AdaptiveLimit? Adaptive { get; set; }

        /// <summary>Takes one of its slots.</summary>
        public void Take() => InUse++;

        /// <summary>Gives a slot back without learning anything (a waiter that was given it had gone).</summary>
        public void Untake() => InUse--;

        /// <summary>
        /// Gives a slot back and learns from how the attempt went: an answer's latency feeds the latency-based limit,
        /// an overload lowers it, a failed server leaves the rotation (a 5xx only at the third in a row), and a server
        /// out of the rotation that answers anyway (when every server was out, attempts went to all) is back.
        /// </summary>
        /// <returns>Whether it left the rotation, and whether it came back.</returns>
        public (bool Down, bool Back) Complete(AttemptOutcome outcome, TimeSpan rtt, DateTimeOffset now)
        {
            var inFlight = InUse;
            InUse--;
            var down = false;
            switch (outcome)
            {
                case AttemptOutcome.Answered:
                    _serverErrorsInARow = 0;
                    if (Adaptive?.OnSample(rtt, inFlight) == true)
                    {
                        Limit = Adaptive.Limit;
                    }

                    break;
                case AttemptOutcome.Refused:
                    _serverErrorsInARow = 0;
                    break;
                case AttemptOutcome.Overloaded:
                    if (Adaptive?.OnOverload() == true)
                    {
                        Limit = Adaptive.Limit;
                    }

                    break;
                case AttemptOutcome.ServerError:
                    down = ++_serverErrorsInARow >= ServerErrorsBeforeDown && TakeOut(outcome, now);
                    break;
                case AttemptOutcome.Loading:
                    Adaptive?.OnOverload();
                    down = TakeOut(outcome, now);
                    break;
                case AttemptOutcome.Unreachable:
                    down = TakeOut(outcome, now);
                    break;
            }

            var back = outcome is AttemptOutcome.Answered or AttemptOutcome.Refused && BringBack();
            return (down, back);
        }

        /// <summary>Takes it out of the rotation, for <paramref name="reason"/>; false when it was out already.</summary>
        public bool TakeOut(AttemptOutcome reason, DateTimeOffset now)
        {
            if (!IsUp)
            {
                return false;
            }

            IsUp = false;
            Down = (reason, now);
            _serverErrorsInARow = 0;
            return true;
        }

        /// <summary>Puts it back in the rotation; false when it was in it already.</summary>
        public bool BringBack()
        {
            if (IsUp)
            {
                return false;
            }

            IsUp = true;
            _serverErrorsInARow = 0;
            return true;
        }

        /// <summary>
        /// Sets how many requests it takes: <paramref name="slots"/> for a known number, or a latency-based limit (which a
        /// server already found adaptive keeps, when only its <c>/props</c> is asked again).
        /// </summary>
        /// <returns>The limit it has now.</returns>
        public int SetCapacity(CapacitySource source, int slots, int maxAdaptive, bool propsPending)
        {
            if (source == CapacitySource.Adaptive)
            {
                Adaptive ??= new AdaptiveLimit(AdaptiveLimit.Initial, maxAdaptive);
                Limit = Adaptive.Limit;
                Ceiling = maxAdaptive;
            }
            else
            {
                Adaptive = null;
                Limit = Ceiling = Math.Min(slots, LocalBatchOptions.MaxConcurrencyLimit);
            }

            Source = source;
            PropsPending = propsPending;
            return Limit;
        }

        public ServerProgress ToProgress() =>
            new(new Uri(Endpoint.Display), IsUp, InUse, Limit, Endpoint.Requests, Endpoint.Failures);
    }
}
