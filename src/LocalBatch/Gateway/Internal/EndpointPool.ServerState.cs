namespace LocalBatch.Gateway.Internal;

// What the pool knows of each server: only the pool can see or change it, and only through these methods.
internal sealed partial class EndpointPool
{
    /// <summary>
    /// One server's slots and health: how its limit is known, how many requests it takes and has, whether it is in the
    /// rotation. Guarded by the pool's lock; each method keeps one of the pool's rules.
    /// </summary>
    private sealed partial class ServerState(ServerEndpoint endpoint)
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

        /// <summary>Gets the batch requests of this client holding one of its slots.</summary>
        public int BatchInUse { get; private set; }

        /// <summary>Gets the requests of this client holding one of its slots that carry the mark (<see cref="OwnRequestMark"/>).</summary>
        public int MarkedInUse { get; private set; }

        /// <summary>Gets the requests proxied to it that this client did not send (<c>localbatch serve</c>'s ledger).</summary>
        public int Proxied { get; private set; }

        /// <summary>Gets the requests of other clients that its last <c>/slots</c> (or <c>/metrics</c>) showed running.</summary>
        public int Foreign { get; private set; }

        /// <summary>Gets the slots batch requests leave free for interactive requests now.</summary>
        public int Reserved { get; private set; }

        /// <summary>Gets the interactive requests running on it: this client's own, proxied ones and other clients'.</summary>
        public int Interactive => InUse - BatchInUse + Proxied + Foreign;

        /// <summary>Gets the requests it runs as far as this client knows: its own, proxied ones and other clients'.</summary>
        public int Busy => InUse + Proxied + Foreign;

        /// <summary>Gets what the pool's sensing of other clients' load keeps of this server.</summary>
        public LoadSensing Sensing { get; } = new();

        /// <summary>Whether a request may take one of its slots: a batch request (when batches yield) only within what the reserve leaves.</summary>
        public bool HasRoomFor(bool background) =>
            HasRoom && (!background || BatchInUse < Limit - Math.Max(Reserved, Sensing.MakingRoom && Limit > 1 ? 1 : 0));

        /// <summary>
        /// Whether a batch request that can carry the mark, taking one of its slots, is to carry it: once its
        /// <c>/slots</c> shows the field.
        /// </summary>
        public bool Marks(bool batch, bool markable) => batch && markable && Sensing.ShowsMarks;

        /// <summary>Takes one of its slots, for a batch request or an interactive one, with the mark or without.</summary>
        public void Take(bool batch, bool marked, long now)
        {
            InUse++;
            CountStarted(marked, 1);
            if (batch)
            {
                BatchInUse++;
            }
            else
            {
                Sensing.InteractiveSeen = now;
            }
        }

        /// <summary>Gives a slot back without learning anything (a waiter that was given it had gone).</summary>
        public void Untake(bool batch, bool marked)
        {
            InUse--;
            CountStarted(marked, -1);
            BatchInUse -= batch ? 1 : 0;
        }

        /// <summary>
        /// Counts a request of this client starting (1) or given back unsent (-1): a marked one in <see cref="MarkedInUse"/>,
        /// an unmarked one among those the server shows as not marked, which its look allows for.
        /// </summary>
        private void CountStarted(bool marked, int delta)
        {
            if (marked)
            {
                MarkedInUse += delta;
            }
            else
            {
                Sensing.KnownStarted += delta;
            }
        }

        /// <summary>Counts a request proxied to it (<paramref name="delta"/> 1) or its end (-1): interactive traffic seen now.</summary>
        public void CountProxied(int delta, long now)
        {
            Proxied += delta;
            Sensing.InteractiveSeen = now;
            if (delta > 0)
            {
                Sensing.KnownStarted++;
            }
            else
            {
                Sensing.KnownCompleted++;
            }
        }

        /// <summary>
        /// Reads what the server says it runs: its busy slots without this client's mark beyond the unmarked requests
        /// this client knows of (allowing for slots not yet released of requests answered since the look was sent) are
        /// other clients'; so are unmarked tasks started since the last look beyond the unmarked requests this client
        /// started meanwhile. Either is interactive traffic.
        /// </summary>
        public void ReadLoad(ServerLoad load, long now, long roomEvery)
        {
            Sensing.ShowsMarks |= load.ShowsMarks;
            var known = InUse - MarkedInUse + Proxied + (int)(Sensing.KnownCompleted - Sensing.CompletedAtLook);
            Foreign = Math.Max(0, load.Busy - known);
            var startedOthers = Sensing.CountForeignStarts(load.TaskIds);

            // While this client fills every slot, another client's request waits in the server's queue, runs in the
            // first slot that frees, and one of this client's takes it over at once: a look rarely catches it. So now
            // and then a slot is left free for RoomLooks looks, where such a request runs at once and shows (running,
            // or as a task this client did not start, which stays in the free slot); once others are seen, the
            // reserve takes over.
            if (Foreign > 0 || startedOthers > 0)
            {
                Sensing.InteractiveSeen = now;
                Sensing.RoomLooksLeft = 0;
            }
            else if (Sensing.MakingRoom)
            {
                Sensing.RoomLooksLeft -= InUse < Limit ? 1 : 0;
            }
            else if (InUse >= Limit && load.TaskIds is not null && now - Sensing.RoomMade >= roomEvery)
            {
                Sensing.RoomLooksLeft = RoomLooks;
                Sensing.RoomMade = now;
            }
        }

        /// <summary>Forgets other clients' load (the server shows it no longer).</summary>
        public void ForgetForeign() => Foreign = 0;

        /// <summary>
        /// Works out the reserve: while interactive requests run or ran within <paramref name="holdDown"/> (timestamp
        /// ticks), as many slots as they use plus one, never every slot (a batch always keeps one); else none.
        /// </summary>
        /// <returns>The reserve it had before.</returns>
        public int RefreshReserve(long now, long holdDown)
        {
            var before = Reserved;
            var interactive = Interactive;
            var present = interactive > 0 || (Sensing.InteractiveSeen != 0 && now - Sensing.InteractiveSeen < holdDown);
            Reserved = present && Limit > 1 ? Math.Min(Limit - 1, interactive + 1) : 0;
            return before;
        }

        /// <summary>
        /// Gives a slot back and learns from how the attempt went: an answer's latency feeds the latency-based limit,
        /// an overload lowers it, a failed server leaves the rotation (a 5xx only at the third in a row), and a server
        /// out of the rotation that answers anyway (when every server was out, attempts went to all) is back.
        /// </summary>
        /// <returns>Whether it left the rotation, and whether it came back.</returns>
        public (bool Down, bool Back) Complete(AttemptOutcome outcome, bool batch, bool marked, TimeSpan rtt, DateTimeOffset now, long timestamp)
        {
            var inFlight = InUse;
            InUse--;
            if (marked)
            {
                MarkedInUse--;
            }
            else
            {
                Sensing.KnownCompleted++;
            }

            if (batch)
            {
                BatchInUse--;
            }
            else
            {
                Sensing.InteractiveSeen = timestamp;
            }

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
            new(new Uri(Endpoint.Display), IsUp, InUse, Limit, Endpoint.Requests, Endpoint.Failures) { Interactive = Interactive, Reserved = Reserved };
    }
}
