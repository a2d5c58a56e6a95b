using LocalBatch.Gateway.Internal;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// The one engine every batch of the library runs on: N lanes, each taking the next run from its source and sending
/// the run's items one after another, awaited together with <see cref="Task.WhenAll(Task[])"/>. The lanes are the
/// batch's own bound (never more than N of its requests outstanding); whether a request may start now, and on which
/// server, is decided at one admission point, the client's pool (<see cref="Gateway.Internal.EndpointPool.AcquireAsync"/>),
/// which every batch, processor call and queue on a client shares, so that together they never overrun a server and
/// take turns. The processor's lists, streams and runs of shared prefixes, embedding chunks, the request queue and batch
/// jobs differ only in their source of runs and in what they do with each outcome.
/// </summary>
internal static partial class LaneEngine
{
    /// <summary>Runs every run of <paramref name="source"/> on <paramref name="lanes"/> lanes, until it is exhausted.</summary>
    /// <param name="source">Where the lanes take their runs.</param>
    /// <param name="lanes">How many lanes run side by side (at least one).</param>
    /// <param name="send">Sends one item on a lane and deals with its outcome; only cancellation (or a failure of the whole run) may escape it.</param>
    /// <param name="cancellationToken">Stops the lanes: no run is taken, and no item of a run taken starts, after it.</param>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    public static async Task RunAsync<T>(IRunSource<T> source, int lanes, Func<T, Lane, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        // Each lane starts on the thread pool (never on the caller's context): work that runs synchronously for a while (a
        // queue's own work, a client that answers at once) never holds up the other lanes' start.
        // Every lane of the run is one group at the admission point (the group of the run it is part of, if any): batch
        // work, which takes turns with other batches and yields slots to interactive requests.
        var group = TurnGroup.ForNewRun();
        var workers = new Task[Math.Max(1, lanes)];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(
                () =>
                {
                    TurnGroup.Enter(group);
                    return LaneAsync(source, send, cancellationToken);
                },
                CancellationToken.None);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private static async Task LaneAsync<T>(IRunSource<T> source, Func<T, Lane, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        // A lane whose runs share prefixes keeps a slot of its server, where it can (id_slot), until it ends.
        var lane = new Lane(source.SharesPrefixes);
        if (lane.Pin is { } pin)
        {
            SlotPin.Enter(pin);
        }

        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var run = await source.NextAsync(cancellationToken).ConfigureAwait(false);
                if (run.IsEmpty)
                {
                    return;
                }

                // The first item of a run taken is always handed on (a queue accounts for an item it was given even when
                // cancelled); the rest of a run does not start once the run is cancelled.
                await send(run.Span[0], lane, cancellationToken).ConfigureAwait(false);
                for (var i = 1; i < run.Length; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await send(run.Span[i], lane, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            lane.Pin?.End();
        }
    }
}
