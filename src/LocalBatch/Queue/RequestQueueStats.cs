namespace LocalBatch;

/// <summary>A snapshot of a <see cref="RequestQueue"/>'s counters.</summary>
/// <param name="Workers">How many workers read the queue; 0 while the automatic count is still being read from the server.</param>
/// <param name="Queued">How many requests wait for a worker.</param>
/// <param name="Running">How many requests are running now.</param>
/// <param name="Completed">How many requests finished with a value since the queue was created.</param>
/// <param name="Failed">How many requests finished with an error since the queue was created.</param>
/// <param name="Cancelled">How many requests the queue's shutdown cancelled, running or not yet started.</param>
/// <param name="PeakConcurrency">The most requests that ever ran at once; never more than <paramref name="Workers"/>.</param>
/// <param name="Retained">How many finished results the queue holds, waiting to be read (or kept after reading, when so configured).</param>
public sealed record RequestQueueStats(
    int Workers,
    int Queued,
    int Running,
    long Completed,
    long Failed,
    long Cancelled,
    int PeakConcurrency,
    int Retained);
