using Microsoft.Extensions.Logging;

namespace LocalBatch.Internal;

/// <summary>Every log line the library writes. Secrets never; request and response bodies never above Trace.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Message = "Retrying {Method} {Path} (attempt {Attempt}) in {DelayMs} ms after: {Reason}")]
    public static partial void RetryingRequest(ILogger logger, LogLevel level, string method, string path, int attempt, double delayMs, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Trace, Message = "Sending {Method} {Path}: {Body}")]
    public static partial void SendingRequest(ILogger logger, string method, string path, string body);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Server {Server}: concurrency {Concurrency} ({Source})")]
    public static partial void ConcurrencyChosen(ILogger logger, string server, int concurrency, string source);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Server {Server}: /props could not be read ({Reason}); its concurrency is found from latency until it answers")]
    public static partial void ConcurrencyFallback(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Server {Server} left the rotation ({Reason}); its /health is probed until it answers, and meanwhile requests go to the other servers, or are retried with back-off when none is left")]
    public static partial void ServerLeftRotation(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Server {Server} is back in the rotation")]
    public static partial void ServerRejoinedRotation(ILogger logger, string server);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Sending {Method} {Path} to another server at once: {Server} failed ({Reason})")]
    public static partial void FailingOver(ILogger logger, string method, string path, string server, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Batch item {Index} failed: {Error}")]
    public static partial void BatchItemFailed(ILogger logger, int index, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Embedding call of {Count} items starting at item {Start} got {Reason}; sending it again in halves")]
    public static partial void SplittingEmbeddingChunk(ILogger logger, int start, int count, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Request queue running {Workers} workers ({Source})")]
    public static partial void QueueStarted(ILogger logger, int workers, string source);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Dropped the unread result of request {RequestId} ({Limit})")]
    public static partial void QueueResultDropped(ILogger logger, string requestId, string limit);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Request {RequestId} failed in the queue: {Error}")]
    public static partial void QueuedRequestFailed(ILogger logger, string requestId, string error);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Queue shutdown cancelled {Count} requests that had not finished")]
    public static partial void QueueCancelledRemaining(ILogger logger, int count);

    [LoggerMessage(EventId = 34, Level = LogLevel.Information, Message = "Batch {BatchId}: {Requests} requests run in {Runs} runs of requests that share a prompt prefix, biggest first")]
    public static partial void BatchPlannedByPrefix(ILogger logger, string batchId, int requests, int runs);

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Batch {BatchId} stopped on an unexpected error")]
    public static partial void BatchRunFailed(ILogger logger, string batchId, Exception exception);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Resuming batch {BatchId} ({Status})")]
    public static partial void ResumingBatch(ILogger logger, string batchId, string status);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "Batch {BatchId} is being run by another process; not resumed here")]
    public static partial void BatchLockedElsewhere(ILogger logger, string batchId);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "Batch {BatchId} has a state file that cannot be read; it is skipped")]
    public static partial void BatchStateUnreadable(ILogger logger, string batchId, Exception exception);

    [LoggerMessage(EventId = 35, Level = LogLevel.Information, Message = "Server {Server}: interactive requests are running; batches leave {Reserved} of its {Slots} slots free for them")]
    public static partial void YieldingStarted(ILogger logger, string server, int reserved, int slots);

    [LoggerMessage(EventId = 36, Level = LogLevel.Information, Message = "Server {Server}: no interactive request for {HoldDownSeconds} s; batches take every slot again")]
    public static partial void YieldingStopped(ILogger logger, string server, double holdDownSeconds);

    [LoggerMessage(EventId = 37, Level = LogLevel.Debug, Message = "Server {Server} shows its load neither at /slots nor at /metrics: batches yield only to the requests this client knows of there")]
    public static partial void LoadNotVisible(ILogger logger, string server);
}
