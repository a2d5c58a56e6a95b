namespace LocalBatch.Processing.Internal;

/// <summary>
/// A lazily read input as runs, each item numbered in the order it is read: only as many runs are read as lanes take,
/// so that memory stays O(lanes) whatever the input's length. The input is read by one lane at a time (an enumerator is
/// not for several readers); disposing the source disposes it.
/// </summary>
internal sealed class AsyncRunSource<TRequest> : IRunSource<(int Position, TRequest Request)>, IAsyncDisposable
{
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly IAsyncEnumerator<IReadOnlyList<TRequest>>? _runs;
    private readonly IAsyncEnumerator<TRequest>? _items;
    private int _count;
    private bool _done;

    private AsyncRunSource(IAsyncEnumerator<IReadOnlyList<TRequest>>? runs, IAsyncEnumerator<TRequest>? items)
    {
        _runs = runs;
        _items = items;
    }

    /// <inheritdoc/>
    public bool SharesPrefixes => _runs is not null;

    /// <summary>Gets how many items have been read so far (all of them, once the source is exhausted).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Each request a run of its own.</summary>
    public static AsyncRunSource<TRequest> OfItems(IAsyncEnumerable<TRequest> requests, CancellationToken cancellationToken) =>
        new(runs: null, requests.GetAsyncEnumerator(cancellationToken));

    /// <summary>Runs as the input gives them (requests that share a prompt prefix).</summary>
    public static AsyncRunSource<TRequest> OfRuns(IAsyncEnumerable<IReadOnlyList<TRequest>> runs, CancellationToken cancellationToken) =>
        new(runs.GetAsyncEnumerator(cancellationToken), items: null);

    public async ValueTask<ReadOnlyMemory<(int Position, TRequest Request)>> NextAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!_done)
            {
                if (_items is not null)
                {
                    if (await MoveNextAsync(_items).ConfigureAwait(false))
                    {
                        var position = _count;
                        Volatile.Write(ref _count, position + 1);
                        return new[] { (position, _items.Current) };
                    }

                    _done = true;
                    break;
                }

                if (!await MoveNextAsync(_runs!).ConfigureAwait(false))
                {
                    _done = true;
                    break;
                }

                var run = _runs!.Current;
                if (run.Count == 0)
                {
                    continue;
                }

                var numbered = new (int, TRequest)[run.Count];
                for (var i = 0; i < numbered.Length; i++)
                {
                    numbered[i] = (_count + i, run[i]);
                }

                Volatile.Write(ref _count, _count + numbered.Length);
                return numbered;
            }

            return ReadOnlyMemory<(int, TRequest)>.Empty;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>Moves the input on; an input that fails is over for every lane (the lane that met the failure throws it).</summary>
    private async ValueTask<bool> MoveNextAsync<TItem>(IAsyncEnumerator<TItem> enumerator)
    {
        try
        {
            return await enumerator.MoveNextAsync().ConfigureAwait(false);
        }
        catch
        {
            _done = true;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_items is not null)
        {
            await _items.DisposeAsync().ConfigureAwait(false);
        }

        if (_runs is not null)
        {
            await _runs.DisposeAsync().ConfigureAwait(false);
        }

        _reading.Dispose();
    }
}
