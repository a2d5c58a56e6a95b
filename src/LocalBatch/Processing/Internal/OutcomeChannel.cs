using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// The consuming half of the streaming fan-outs: a producer writes outcomes into a bounded channel (so that at most
/// <c>capacity</c> finished outcomes wait for the consumer) and they are yielded as they come. When the consumer stops
/// (finished, broke out early, or was cancelled), the producer is cancelled and waited for, so that nothing outlives
/// the enumeration; the producer's own failure completes the channel and surfaces to the consumer.
/// </summary>
internal static class OutcomeChannel
{
    public static async IAsyncEnumerable<T> ReadAsync<T>(
        int capacity,
        Func<ChannelWriter<T>, CancellationToken, Task> produce,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var outcomes = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var producer = produce(outcomes.Writer, cts.Token);
        try
        {
            while (await outcomes.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (outcomes.Reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Expected when the batch was cancelled; the reader surfaces it.
            }
        }
    }
}
