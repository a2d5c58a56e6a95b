using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Queue.Internal;

/// <summary>
/// The requests of a <see cref="RequestQueue"/> by id, from submission until their result is released: read
/// (unless kept after reading), or dropped by the retention limits. Finished results are listed oldest first,
/// so that the limits drop the oldest and a read result leaves no trace.
/// </summary>
internal sealed class ResultStore
{
    private readonly ConcurrentDictionary<string, QueuedRequest> _requests = new(StringComparer.Ordinal);
    private readonly LinkedList<QueuedRequest> _finished = new();
    private readonly Lock _lock = new();
    private readonly bool _keepAfterRead;
    private readonly int? _maxRetained;
    private readonly TimeSpan? _retention;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public ResultStore(RequestQueueOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _keepAfterRead = options.KeepResultsAfterRead;
        _maxRetained = options.MaxRetainedResults;
        _retention = options.ResultRetention;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Gets how many finished results are held.</summary>
    public int Retained
    {
        get
        {
            lock (_lock)
            {
                DropExpired();
                return _finished.Count;
            }
        }
    }

    /// <summary>Registers a new request; false when its id is already queued or kept.</summary>
    public bool TryAdd(QueuedRequest request)
    {
        PruneExpired();
        return _requests.TryAdd(request.Id, request);
    }

    /// <summary>Finds a request that is queued, running, or finished and kept.</summary>
    public bool TryGet(string id, [NotNullWhen(true)] out QueuedRequest? request)
    {
        PruneExpired();
        return _requests.TryGetValue(id, out request);
    }

    /// <summary>Forgets a request whose submission did not go through.</summary>
    public void Remove(QueuedRequest request) => _requests.TryRemove(KeyValuePair.Create(request.Id, request));

    /// <summary>Lists a finished request's result, then applies the retention limits.</summary>
    public void OnFinished(QueuedRequest request)
    {
        lock (_lock)
        {
            if (request.Released)
            {
                // Read (and released) between finishing and getting here.
                return;
            }

            request.RetentionNode = _finished.AddLast(request);
            if (_maxRetained is { } max)
            {
                while (_finished.Count > max)
                {
                    Drop(_finished.First!.Value, nameof(RequestQueueOptions.MaxRetainedResults));
                }
            }

            DropExpired();
        }
    }

    /// <summary>Notes that a finished result was read, and releases it unless results are kept after reading.</summary>
    public void OnRead(QueuedRequest request)
    {
        lock (_lock)
        {
            request.WasRead = true;
            if (!_keepAfterRead)
            {
                Release(request);
            }
        }
    }

    /// <summary>Returns the completion of every request that has not finished yet.</summary>
    public List<Task> GetUnfinished()
    {
        var unfinished = new List<Task>();
        foreach (var (_, request) in _requests)
        {
            if (!request.Current.IsFinished)
            {
                unfinished.Add(request.Completion);
            }
        }

        return unfinished;
    }

    private void PruneExpired()
    {
        if (_retention is null)
        {
            return;
        }

        lock (_lock)
        {
            DropExpired();
        }
    }

    private void DropExpired()
    {
        if (_retention is not { } retention)
        {
            return;
        }

        var cutoff = _timeProvider.GetUtcNow() - retention;
        while (_finished.First is { } oldest && oldest.Value.Current.FinishedAt <= cutoff)
        {
            Drop(oldest.Value, nameof(RequestQueueOptions.ResultRetention));
        }
    }

    private void Drop(QueuedRequest request, string limit)
    {
        if (!request.WasRead)
        {
            Log.QueueResultDropped(_logger, request.Id, limit);
        }

        Release(request);
    }

    private void Release(QueuedRequest request)
    {
        if (request.Released)
        {
            return;
        }

        request.Released = true;
        _requests.TryRemove(KeyValuePair.Create(request.Id, request));
        if (request.RetentionNode is { } node)
        {
            _finished.Remove(node);
            request.RetentionNode = null;
        }
    }
}
