namespace LocalBatch.Gateway.Internal;

/// <summary>
/// A server's concurrency found from latency, for servers that do not say how many slots they have.
/// </summary>
/// <remarks>
/// <para>
/// The rule is TCP Vegas's (Brakmo and Peterson, 1995), as Netflix's concurrency-limits library applies it to requests
/// (<c>VegasLimit</c>; <c>Gradient2Limit</c> is its cousin): with <c>L</c> requests in flight, an unloaded latency
/// <c>minRtt</c> (the shortest answer seen) and a round of answers taking <c>rtt</c> on average, about
/// <c>L·(1 − minRtt/rtt)</c> of them waited in the server's queue. For a server with <c>S</c> slots and <c>L &gt; S</c>,
/// Little's law makes that exact: <c>rtt = minRtt·L/S</c>, so the queue is <c>L − S</c>.
/// </para>
/// <para>
/// Once a round (as many answers as the limit) is in: fewer than <see cref="Alpha"/> queued while the limit was used
/// means room, so the limit doubles (slow start, until a queue is first seen) or grows by one; more than
/// a sixth or so of those in flight (at least one) queued means the limit went past the slots, so it drops to the slots
/// estimated plus <see cref="Alpha"/>: a server is never kept much beyond its slots, however few it has. An overload answer (429, 503) cuts it by a quarter at once. The small queue kept on purpose
/// hides each request's round trip, which a server whose slots are exactly full would spend idle.
/// </para>
/// <para>
/// It starts at one request, so that the first answer shows the unloaded latency: starting higher on a server with fewer
/// slots would take queueing for the norm.
/// </para>
/// <para>Not thread-safe: its owner serializes calls.</para>
/// </remarks>
internal sealed class AdaptiveLimit
{
    /// <summary>Queued requests below which the limit grows.</summary>
    public const double Alpha = 1;

    /// <summary>The share of the requests in flight that may queue before the limit falls back to the estimated slots.</summary>
    public const double BetaShare = 0.15;

    /// <summary>Rounds after which the unloaded latency is measured afresh (a server may have become slower).</summary>
    private const int RoundsPerMinRttReset = 200;

    private readonly int _max;
    private bool _slowStart = true;
    private double _minRtt = double.MaxValue;
    private double _roundMinRtt = double.MaxValue;
    private double _roundRttSum;
    private int _roundSamples;
    private int _roundMaxInFlight;
    private int _rounds;

    /// <summary>The limit a server starts at.</summary>
    public const int Initial = 1;

    public AdaptiveLimit(int initial, int max)
    {
        _max = Math.Max(1, max);
        Limit = Math.Clamp(initial, 1, _max);
    }

    /// <summary>Gets the current limit.</summary>
    public int Limit { get; private set; }

    /// <summary>Takes one answered request: how long it took and how many were in flight when it ended (itself included).</summary>
    /// <returns><see langword="true"/> when the limit changed.</returns>
    public bool OnSample(TimeSpan rtt, int inFlight)
    {
        var seconds = Math.Max(rtt.TotalSeconds, 1e-6);
        _roundRttSum += seconds;
        _roundMinRtt = Math.Min(_roundMinRtt, seconds);
        _roundMaxInFlight = Math.Max(_roundMaxInFlight, inFlight);
        if (++_roundSamples < Limit)
        {
            return false;
        }

        var before = Limit;
        if (++_rounds % RoundsPerMinRttReset == 0)
        {
            _minRtt = _roundMinRtt;
        }

        _minRtt = Math.Min(_minRtt, _roundMinRtt);
        var averageRtt = _roundRttSum / _roundSamples;
        var used = _roundMaxInFlight;
        var queued = used * (1 - (_minRtt / averageRtt));
        if (queued > Math.Max(1, used * BetaShare))
        {
            _slowStart = false;
            Limit = Math.Clamp((int)Math.Round(used - queued + Alpha), 1, _max);
        }
        else if (queued < Alpha && used >= Limit - 1)
        {
            // Grown only while the limit is used: an idle client learns nothing about the server's room.
            Limit = Math.Min(_max, _slowStart ? Limit * 2 : Limit + 1);
        }
        else if (queued >= Alpha)
        {
            _slowStart = false;
        }

        _roundRttSum = 0;
        _roundSamples = 0;
        _roundMaxInFlight = 0;
        _roundMinRtt = double.MaxValue;
        return Limit != before;
    }

    /// <summary>Takes an overload answer (429, 503) or a dropped connection: the limit falls by a quarter at once.</summary>
    /// <returns><see langword="true"/> when the limit changed.</returns>
    public bool OnOverload()
    {
        var before = Limit;
        _slowStart = false;
        Limit = Math.Max(1, (int)(Limit * 0.75));
        _roundRttSum = 0;
        _roundSamples = 0;
        _roundMaxInFlight = 0;
        _roundMinRtt = double.MaxValue;
        return Limit != before;
    }
}
