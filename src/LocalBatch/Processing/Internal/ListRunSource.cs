namespace LocalBatch.Processing.Internal;

/// <summary>
/// The positions of a list, as runs: each position alone, or the runs of an <see cref="AffinityPlan"/>. Taking a run
/// is one interlocked increment: no task, lock or allocation per item, which keeps a batch of thousands as cheap as a
/// loop of its requests.
/// </summary>
internal sealed class ListRunSource : IRunSource<int>
{
    private readonly int[] _positions;
    private readonly int[][]? _runs;
    private int _next = -1;

    /// <param name="count">The list's length.</param>
    /// <param name="runs">The positions grouped in runs (every position once), or <see langword="null"/> for each alone.</param>
    public ListRunSource(int count, int[][]? runs = null)
    {
        _runs = runs;
        _positions = runs is null ? [.. Enumerable.Range(0, count)] : [];
    }

    /// <inheritdoc/>
    public bool SharesPrefixes => _runs is not null;

    /// <summary>Gets how many runs there are: the most lanes that can have work.</summary>
    public int Runs => _runs?.Length ?? _positions.Length;

    public ValueTask<ReadOnlyMemory<int>> NextAsync(CancellationToken cancellationToken)
    {
        var next = Interlocked.Increment(ref _next);
        if (next >= Runs)
        {
            return ValueTask.FromResult(ReadOnlyMemory<int>.Empty);
        }

        return ValueTask.FromResult(_runs is null ? new ReadOnlyMemory<int>(_positions, next, 1) : new ReadOnlyMemory<int>(_runs[next]));
    }
}
