using System.Threading.Channels;
using LocalBatch.Processing.Internal;

namespace LocalBatch.Queue.Internal;

/// <summary>The queue's channel as the engine's source: each request a run of its own, taken as it is written.</summary>
internal sealed class ChannelRunSource<T>(ChannelReader<T> reader) : IRunSource<T>
{
    /// <inheritdoc/>
    public bool SharesPrefixes => false;

    /// <summary>Waits for the next request; empty once the channel is completed and empty.</summary>
    public async ValueTask<ReadOnlyMemory<T>> NextAsync(CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.TryRead(out var item))
            {
                return new[] { item };
            }
        }

        return ReadOnlyMemory<T>.Empty;
    }
}
